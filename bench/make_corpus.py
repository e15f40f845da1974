#!/usr/bin/env python3
"""A deterministic corpus of this project's own content format, at the Assembly's real size.

    python bench/make_corpus.py --scale 1 --out DIR

writes DIR/site.yaml (a copy of the project's) and DIR/content/... : the member cities
(the project's real ones, plus generated ones above the real count), practices spread over
every problem of the rubricator, cities, years and contest editions, monthly bulletins and
Vestnik issues of 15 articles, plus the project's free pages. At ``--scale 1`` that is about
90 cities, 3,000 practices (13 contest editions, ~15 KB of Markdown each, ~45 MB in all),
240 bulletins and 77 issues; other scales are proportional. The texts are as long as the
Assembly's: a bulletin issue is 8–12 news items of about 1,500 words in all, a Vestnik
article 1,500–4,000 words (``--light``: the earlier corpus, whose bulletins and articles
were about four times shorter, byte for byte).

The text is Russian prose made from real words and sentence templates, with headings, lists,
links, pipe tables, footnotes, quotes and spaced dashes, so that Markdown, typography and
search indexing cost what they cost on real text. Everything comes from one seeded random
generator: the same scale gives the same bytes. Every generated entry carries `sample: true`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

import yaml  # noqa: E402  (a project dependency)

from egorod.translit import slugify  # noqa: E402

# Real-size figures at scale 1 (the Assembly's archive).
CITIES = 90
PRACTICES = 3000
EDITIONS = 13                 # contest editions I (2008) … XIII (2020): edition = year - 2007
BULLETINS = 240
VESTNIK_ISSUES = 77
ARTICLES_PER_ISSUE = 15
PRACTICE_BYTES = 15_000       # mean size of a practice file's Markdown body
BULLETIN_ITEMS = (8, 12)      # news items in one bulletin issue
BULLETIN_WORDS = (1_300, 1_700)   # words of one issue, all its items together
ARTICLE_WORDS = (1_500, 4_000)    # words of one Vestnik article
LAST_BULLETIN = dt.date(2025, 12, 15)
LAST_ISSUE = dt.date(2025, 12, 20)

# --- vocabulary ---------------------------------------------------------------------------
# Slots of the sentence templates; the words in each slot agree with the template around them.

SUBJECTS = [  # plural, nominative
    "городские службы", "специалисты администрации", "жители микрорайона", "депутаты городской думы",
    "активисты территориального общественного самоуправления", "волонтёры", "представители бизнеса",
    "эксперты комиссии", "сотрудники управления жилищно-коммунального хозяйства",
    "муниципальные предприятия", "управляющие компании", "преподаватели и студенты университета",
    "участники рабочей группы", "районные администрации", "архитекторы и урбанисты",
    "общественные организации", "молодёжные советы", "руководители школ и поликлиник",
    "специалисты по транспортному планированию", "проектные команды", "инженеры водоканала",
    "социальные работники", "члены общественной палаты", "предприниматели",
    "сотрудники многофункциональных центров", "инспекторы дорожного движения",
    "специалисты по охране окружающей среды", "краеведы и историки", "тренеры спортивных школ",
    "работники библиотек и музеев", "журналисты городских изданий", "консультанты экспертного совета",
]
VERBS = [  # plural, past tense, transitive
    "подготовили", "обсудили", "разработали", "внедрили", "проанализировали", "поддержали",
    "согласовали", "запустили", "обновили", "представили", "изучили", "предложили", "доработали",
    "протестировали", "утвердили", "расширили", "упростили", "перестроили", "оценили", "сформировали",
    "опубликовали", "адаптировали", "описали", "модернизировали",
]
OBJECTS = [  # accusative
    "программу благоустройства дворов", "новый порядок приёма обращений", "план модернизации сетей",
    "систему мониторинга качества воздуха", "маршрутную сеть общественного транспорта",
    "проект комплексного развития территории", "регламент предоставления услуги",
    "карту проблемных участков", "стандарт содержания общественных пространств",
    "перечень приоритетных объектов", "методику оценки эффективности", "электронный сервис записи",
    "механизм софинансирования", "график капитального ремонта", "концепцию развития набережной",
    "схему раздельного сбора отходов", "порядок работы с инициативами жителей",
    "реестр зелёных насаждений", "программу энергосбережения", "систему видеонаблюдения",
    "план действий при паводке", "единый календарь мероприятий", "сеть велосипедных дорожек",
    "правила размещения нестационарной торговли", "открытый портал данных",
    "модель поддержки социальных предпринимателей", "маршрут безопасной дороги в школу",
    "программу обучения волонтёров", "паспорт исторического квартала", "инвестиционный профиль города",
    "сервис обратной связи", "расписание работы спортивных площадок", "план озеленения улиц",
    "положение о конкурсе проектов", "туристический маршрут по старому городу",
    "систему учёта потребления воды", "проект реконструкции сквера", "программу культурных событий",
]
ADVERBIALS = [
    "в течение двух лет", "при поддержке жителей", "в рамках муниципальной программы",
    "на основе открытых данных", "с учётом опыта других городов", "за счёт средств городского бюджета",
    "совместно с некоммерческими организациями", "по итогам общественных обсуждений",
    "без привлечения дополнительных средств", "в пилотном режиме", "на нескольких площадках",
    "в короткие сроки", "по поручению главы города", "с участием экспертного сообщества",
    "на условиях государственно-частного партнёрства", "в каждом районе города",
    "в тесном взаимодействии с жителями", "по рекомендации комиссии Экспертного совета МАГ",
    "после серии рабочих встреч", "в несколько этапов", "в рамках смотра-конкурса",
    "на базе многофункционального центра", "с опорой на социологические исследования",
    "при участии молодёжных объединений", "в соответствии с генеральным планом",
]
INFINITIVES = ["сократить", "повысить", "упростить", "улучшить", "расширить", "снизить", "ускорить",
               "увеличить", "стабилизировать", "выровнять"]
MEASURES = [  # accusative, what a result changes
    "сроки рассмотрения обращений", "затраты на обслуживание", "число жалоб", "долю отремонтированных домов",
    "количество участников", "время ожидания транспорта", "потребление тепла", "уровень шума",
    "число дорожно-транспортных происшествий", "долю электронных услуг", "посещаемость библиотек",
    "объём вывозимых отходов", "площадь озеленённых территорий", "число малых предприятий",
    "поток туристов", "охват детей дополнительным образованием", "удовлетворённость жителей",
    "потери воды в сетях", "долю переработанного мусора", "число занимающихся спортом",
]
NOUNS_GEN_PL = ["жителей", "организаций", "дворов", "школ", "предприятий", "волонтёров", "проектов",
                "семей", "улиц", "заявок", "объектов", "участков", "маршрутов", "площадок", "домов"]
UNITS = ["км", "га", "тыс. человек", "млн руб.", "%", "тыс. заявок", "мест", "объектов"]
OPENERS = ["Кроме того,", "При этом", "Вместе с тем", "Одновременно", "На первом этапе", "Затем",
           "В дальнейшем", "По итогам года", "Со временем", "Как показала практика,", "Важно, что",
           "На практике", "Параллельно", "В итоге", "С самого начала", "Постепенно"]
NOUNS_NOM = [  # singular nominative, for "X - это Y" and similar
    "открытость", "преемственность", "доверие жителей", "прозрачность решений", "простота процедуры",
    "понятный регламент", "регулярная обратная связь", "гибкость подхода", "общественный контроль",
    "единый стандарт", "межведомственное взаимодействие", "ответственность подрядчика",
]
QUOTES = [
    "двор стал местом, где хочется проводить время",
    "важно, чтобы решение принималось вместе с жителями",
    "мы увидели результат уже в первый год",
    "город должен быть удобным для каждого",
    "без участия соседей ничего бы не получилось",
    "главное - не останавливаться на достигнутом",
    "опыт других городов помог избежать ошибок",
    "теперь услуги можно получить без очередей",
]
CONCLUSIONS = [
    "Опыт показывает, что устойчивый результат дают решения, принятые вместе с жителями.",
    "Практика может быть повторена в городах с разной численностью населения.",
    "Подход не требует крупных капитальных вложений и опирается на уже существующие ресурсы.",
    "Главным условием успеха стали понятные правила и открытая отчётность.",
    "Проект стал примером для соседних районов и получил продолжение.",
    "Полученный опыт обобщён в методических рекомендациях для других городов.",
]
ROLE_AUTHORS = ["Редакция «Вестника МАГ»", "Экспертный совет МАГ", "Секретариат МАГ", "Пресс-центр МАГ",
                "Комиссия по вопросам городского хозяйства", "Комиссия по социальной политике",
                "Комиссия по экономическому развитию", "Редакционный совет МАГ"]
SECTIONS = ["Тема номера", "Опыт городов", "Экспертное мнение", "Практики", "Хроника", "Культура",
            "Международное сотрудничество", "Библиотека практик"]
SUBHEADINGS = ["Организация работы", "Роль жителей", "Финансирование", "Нормативная база", "Трудности",
               "Как измеряли результат", "Информирование горожан", "Взаимодействие служб",
               "Что изменилось", "Планы развития", "Обучение специалистов", "Цифровые инструменты",
               "Опыт соседних городов", "Мнения участников", "Устойчивость результата"]
STEPS = ["обследовать территорию и собрать данные", "провести встречи с жителями",
         "подготовить техническое задание", "согласовать проект с профильными службами",
         "выбрать подрядчика на открытом конкурсе", "запустить пилотный участок",
         "оценить первые результаты", "распространить решение на другие районы",
         "закрепить порядок в муниципальном правовом акте", "опубликовать отчёт о результатах",
         "обучить сотрудников", "наладить регулярный мониторинг"]
INDICATORS = ["Число участников", "Охват жителей, тыс. человек", "Затраты, млн руб.",
              "Обращения граждан", "Доля выполненных работ, %", "Объекты, ед.",
              "Средний срок, дней", "Удовлетворённость, %"]
PRACTICE_ACTIONS = ["Программа развития", "Проект обновления", "Модель управления", "Стандарт",
                    "Муниципальная программа поддержки", "Пилотный проект развития", "Комплексная модернизация",
                    "Открытый реестр", "Система мониторинга", "Городской центр развития", "Конкурс проектов",
                    "Школа"]
QUALIFIERS = ["в микрорайонах", "для жителей старшего возраста", "на окраинах города", "в историческом центре",
              "в новых кварталах", "вместе с жителями", "с участием молодёжи", "в спальных районах",
              "на основе открытых данных", "в малых дворах", "для семей с детьми", "в пригородных посёлках"]
TOPICS = {  # problem slug → genitive noun phrases (Programme of the development *of …*)
    "zdravookhranenie": ["первичной медицинской помощи", "поликлинической сети", "выездной медицины"],
    "obrazovanie": ["школьного образования", "дополнительного образования", "детских садов"],
    "sotsialnaya-podderzhka": ["социального обслуживания", "помощи на дому", "доступной среды"],
    "razdelnyy-sbor-otkhodov": ["раздельного сбора отходов", "переработки вторсырья", "контейнерных площадок"],
    "energosberezhenie": ["энергосбережения", "учёта тепла", "уличного освещения"],
    "upravlenie-mkd": ["капитального ремонта", "советов многоквартирных домов", "управления домами"],
    "vodosnabzhenie": ["водоснабжения", "водоотведения", "ливневой канализации"],
    "maloe-predprinimatelstvo": ["малого бизнеса", "семейного предпринимательства", "ремесленных мастерских"],
    "investitsii": ["инвестиционных площадок", "промышленных парков", "сопровождения инвесторов"],
    "turizm": ["городского туризма", "туристических маршрутов", "событийного туризма"],
    "strategicheskoe-planirovanie": ["стратегического планирования", "городских приоритетов", "целевых показателей"],
    "kompleksnoe-razvitie-territoriy": ["промышленных зон", "бывших территорий заводов", "новых кварталов"],
    "istoricheskaya-sreda": ["исторической застройки", "объектов наследия", "старых кварталов"],
    "bezopasnyy-gorod": ["видеонаблюдения", "единой диспетчерской службы", "общественного порядка"],
    "chrezvychaynye-situatsii": ["оповещения населения", "противопаводковых мер", "гражданской обороны"],
    "bezopasnost-dorozhnogo-dvizheniya": ["безопасных переходов", "школьных маршрутов", "дорожной разметки"],
    "initsiativnoe-byudzhetirovanie": ["инициативного бюджетирования", "проектов жителей", "народного бюджета"],
    "tos": ["территориального самоуправления", "соседских сообществ", "домовых советов"],
    "munitsipalnoe-normotvorchestvo": ["муниципальных правовых актов", "оценки регулирующего воздействия", "общественной экспертизы"],
    "obshchestvennyy-transport": ["общественного транспорта", "маршрутной сети", "трамвайного сообщения"],
    "parkovki": ["платных парковок", "перехватывающих парковок", "парковочного пространства"],
    "velosipednaya-infrastruktura": ["велосипедной инфраструктуры", "пешеходных улиц", "проката велосипедов"],
    "porodnennye-goroda": ["побратимских связей", "породнённых городов", "культурных обменов"],
    "obmen-opytom": ["обмена опытом", "стажировок специалистов", "совместных семинаров"],
    "elektronnye-uslugi": ["электронных услуг", "личного кабинета горожанина", "онлайн-записи"],
    "otkrytye-dannye": ["открытых данных", "городской аналитики", "цифровых двойников"],
    "obratnaya-svyaz": ["обратной связи", "работы с обращениями", "городских опросов"],
    "ozelenenie": ["городских парков", "озеленения улиц", "зелёного каркаса"],
    "obshchestvennye-prostranstva": ["общественных пространств", "набережных", "городских площадей"],
    "kachestvo-okruzhayushchey-sredy": ["чистоты воздуха", "малых рек", "экологического мониторинга"],
    "dostupnost-kultury": ["библиотек", "городских музеев", "театральных площадок"],
    "molodezhnye-initsiativy": ["молодёжных инициатив", "молодёжных пространств", "студенческих проектов"],
    "massovyy-sport": ["массового спорта", "дворовых площадок", "спортивных праздников"],
}
GENERIC_TOPICS = ["городского хозяйства", "городской среды", "муниципального управления"]
AWARDS = ["Диплом I степени", "Диплом II степени", "Диплом III степени", "", "", ""]
BULLETIN_THEMES = ["Итоги месяца", "Заседание Совета МАГ", "Работа комиссий", "Подготовка к сессии",
                   "Смотр-конкурс городских практик", "Международное сотрудничество", "Молодёжный форум",
                   "Городская среда", "Новости городов", "Цифровой город", "Культура и спорт", "Итоги года"]
VESTNIK_THEMES = ["Город для людей", "Транспорт для всех", "Цифровой город", "Город, где хочется жить",
                  "Экология большого города", "Культура и молодёжь", "Безопасность города",
                  "Местное самоуправление", "Исторические города", "Экономика городов",
                  "Города-побратимы", "Жилищное хозяйство"]
ARTICLE_TITLES = ["Уроки одного проекта", "Как это работает", "Город и жители", "Опыт, который стоит повторить",
                  "Новые инструменты", "Взгляд эксперта", "Что показал конкурс", "Шаг за шагом",
                  "Цифры и факты", "Вызовы и решения", "От идеи до результата", "Общий опыт",
                  "Практика без границ", "Среда и люди", "Управление изменениями", "Малые шаги",
                  "Работа над ошибками", "Что дальше"]
CITY_PREFIXES = ["Ново", "Старо", "Верхне", "Нижне", "Бело", "Красно", "Светло", "Зелено", "Тихо",
                 "Высоко", "Широко", "Ясно"]
CITY_ROOTS = ["берёз", "камен", "озёр", "речен", "дубр", "сосн", "ключ", "луг", "бор", "яр", "поль", "холм"]
CITY_SUFFIXES = ["ск", "овск", "инск", "огорск", "оград", "ополь"]
# Rough boxes (lat, lat, lon, lon) to place generated cities in their country.
COUNTRY_BOXES = {
    "Россия": (45, 62, 30, 135), "Армения": (39.5, 41, 43.5, 46), "Беларусь": (51.5, 55.5, 24, 31),
    "Грузия": (41.3, 43, 40, 46), "Абхазия": (42.8, 43.5, 40, 41.5), "Южная Осетия": (42.1, 42.6, 43.6, 44.3),
    "Казахстан": (42, 54, 50, 85), "Кыргызстан": (40, 43, 70, 79), "Молдова": (46, 48, 27, 30),
    "Приднестровье": (46.6, 47.9, 29, 29.8), "Таджикистан": (37.5, 40.5, 67, 74), "Украина": (46, 51, 23, 40),
}


WORD = re.compile(r"\w+(?:-\w+)*")


def word_count(text: str) -> int:
    """Words as a reader counts them: «социально-экономический» is one, «2020 г.» two."""
    return len(WORD.findall(text))


def yq(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def ylist(values) -> str:
    return "[" + ", ".join(yq(v) if not _plain_slug(v) else v for v in values) + "]"


def _plain_slug(value: str) -> bool:
    return all(c.isascii() and (c.isalnum() or c == "-") for c in value)


@dataclass
class CityRef:
    slug: str
    title: str
    country: str


class Writer:
    """Russian prose from templates; one seeded generator gives the same text every time."""

    def __init__(self, rng: random.Random, cities: list[CityRef], practice_slugs: list[str]):
        self.rng = rng
        self.cities = cities
        self.practice_slugs = practice_slugs
        self.footnotes: list[str] = []

    # --- sentences ---
    def number(self) -> str:
        return str(self.rng.choice((self.rng.randint(2, 99), self.rng.randint(100, 2500))))

    def sentence(self) -> str:
        r = self.rng
        c = r.choice
        kind = r.randrange(14)
        if kind <= 2:
            s = f"{c(SUBJECTS).capitalize()} {c(VERBS)} {c(OBJECTS)} {c(ADVERBIALS)}."
        elif kind <= 4:
            s = f"{c(OPENERS)} {c(SUBJECTS)} {c(VERBS)} {c(OBJECTS)}."
        elif kind == 5:
            s = f"В результате удалось {c(INFINITIVES)} {c(MEASURES)} на {r.randint(5, 60)} %, а {c(MEASURES)} - в {r.randint(2, 4)} раза."
        elif kind == 6:
            s = f"В проекте участвовали {self.number()} {c(NOUNS_GEN_PL)} и {self.number()} {c(NOUNS_GEN_PL)}, протяжённость маршрутов составила {r.randint(3, 120)} км."
        elif kind == 7:
            s = f"Главное в этом подходе - {c(NOUNS_NOM)}: {c(SUBJECTS)} {c(VERBS)} {c(OBJECTS)} и {c(VERBS)} {c(OBJECTS)}."
        elif kind == 8:
            s = f"По словам участников, \"{c(QUOTES)}\"."
        elif kind == 9:
            city = c(self.cities)
            s = f"Похожий опыт есть у города [{city.title}](/cities/{city.slug}/): там {c(SUBJECTS)} {c(VERBS)} {c(OBJECTS)} {c(ADVERBIALS)}."
        elif kind == 10:
            if self.practice_slugs and r.random() < 0.5:
                s = f"Подробнее о смежном решении - в [описании практики](/practices/{c(self.practice_slugs)}/) и в [библиотеке практик](/practices/)."
            else:
                s = "Аналогичные решения собраны в [библиотеке городских практик](/practices/), где их можно сравнить по сферам и годам."
        elif kind == 11:
            s = f"С {r.randint(2008, 2020)} г. на эти цели направлено {r.randint(2, 900)} млн руб., из них {r.randint(10, 70)} % - средства партнёров."
        elif kind == 12:
            s = f"{c(SUBJECTS).capitalize()} и {c(SUBJECTS)} вместе {c(VERBS)} {c(OBJECTS)}, а затем {c(VERBS)} {c(OBJECTS)} {c(ADVERBIALS)}."
        else:
            s = c(CONCLUSIONS)
        if r.random() < 0.06:
            self.footnotes.append(self.footnote_text())
            s = f"{s[:-1]}[^{len(self.footnotes)}]{s[-1]}"
        return s

    def footnote_text(self) -> str:
        r = self.rng
        return r.choice([
            f"Данные городской статистики за {r.randint(2008, 2024)} г.",
            f"По материалам комиссии Экспертного совета МАГ, {r.randint(2008, 2024)} г.",
            "Оценка рабочей группы проекта; показатели приведены в сопоставимых ценах.",
            f"Опрос жителей, выборка {r.randint(300, 3000)} человек.",
            "См. раздел \"Результаты\" этого описания.",
        ])

    def paragraph(self, low: int = 3, high: int = 6) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(low, high)))

    def summary(self, city: CityRef) -> str:
        c = self.rng.choice
        return f"{c(SUBJECTS).capitalize()} города {city.title} {c(VERBS)} {c(OBJECTS)} {c(ADVERBIALS)}."

    def bullet_list(self, ordered: bool = False, low: int = 3, high: int = 6, people: bool = False) -> str:
        r = self.rng
        count = r.randint(low, high)
        if ordered:
            items = r.sample(STEPS, count)
        elif people:
            items = [f"{subject} - {r.choice(ADVERBIALS)};" for subject in r.sample(SUBJECTS, count)]
        else:
            items = [f"{r.choice(INFINITIVES)} {r.choice(MEASURES)} {r.choice(ADVERBIALS)};" for _ in range(count)]
        if ordered:
            return "\n".join(f"{i}. {item.capitalize()}." for i, item in enumerate(items, 1))
        items[-1] = items[-1][:-1] + "."
        return "\n".join(f"- {item}" for item in items)

    def table(self, first_year: int) -> str:
        r = self.rng
        years = list(range(first_year, first_year + r.randint(3, 4)))
        rows = ["| Показатель | " + " | ".join(str(y) for y in years) + " |",
                "|---|" + "---:|" * len(years)]
        for indicator in r.sample(INDICATORS, r.randint(3, 6)):
            rows.append(f"| {indicator} | " + " | ".join(str(r.randint(1, 999)) for _ in years) + " |")
        return "\n".join(rows)

    def footnote_block(self) -> str:
        notes = "\n".join(f"[^{i}]: {text}" for i, text in enumerate(self.footnotes, 1))
        self.footnotes = []
        return notes

    def sections(self, parts: list[str], target: int, heading: str = "###") -> list[str]:
        """Add sections of prose until the text reaches about ``target`` bytes."""
        size = sum(len(p.encode("utf-8")) for p in parts)
        r = self.rng
        while size < target:
            block = [f"{heading} {r.choice(SUBHEADINGS)}", self.paragraph()]
            if r.random() < 0.3:
                block.append(self.bullet_list())
            if r.random() < 0.5:
                block.append(self.paragraph(2, 5))
            text = "\n\n".join(block)
            parts.append(text)
            size += len(text.encode("utf-8")) + 2
        return parts

    def words_of_sections(self, parts: list[str], target: int, heading: str = "##") -> list[str]:
        """Add sections of prose (now and then a list or a quote) until ``parts`` hold about
        ``target`` words."""
        words = sum(word_count(p) for p in parts)
        r = self.rng
        while words < target:
            block = [f"{heading} {r.choice(SUBHEADINGS)}", self.paragraph(4, 7)]
            if r.random() < 0.3:
                block.append(self.bullet_list())
            if r.random() < 0.15:
                block.append(f"> {r.choice(CONCLUSIONS)}")
            block.append(self.paragraph(3, 6))
            text = "\n\n".join(block)
            parts.append(text)
            words += word_count(text)
        return parts


# --- the corpus ---------------------------------------------------------------------------

def scaled(count: int, scale: float, minimum: int = 1) -> int:
    return max(minimum, round(count * scale))


def real_cities(project: Path) -> list[tuple[Path, CityRef]]:
    found = []
    for path in sorted((project / "content" / "cities").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        meta = yaml.safe_load(text.split("---", 2)[1])
        found.append((path, CityRef(path.stem, str(meta["title"]), str(meta["country"]))))
    return found


def generated_city_names(rng: random.Random, count: int, taken: set[str]) -> list[tuple[str, str]]:
    names: list[tuple[str, str]] = []
    if count <= 0:
        return names
    combos = [p + r + s for p in CITY_PREFIXES for r in CITY_ROOTS for s in CITY_SUFFIXES]
    rng.shuffle(combos)
    for title in combos:
        slug = slugify(title)
        if slug in taken:
            continue
        taken.add(slug)
        names.append((title, slug))
        if len(names) == count:
            return names
    # Beyond the prefix × root × suffix combinations: the same names, numbered.
    number = 2
    while len(names) < count:
        for title in combos:
            numbered = f"{title}-{number}"
            if slugify(numbered) not in taken:
                taken.add(slugify(numbered))
                names.append((numbered, slugify(numbered)))
                if len(names) == count:
                    return names
        number += 1
    return names


def write(path: Path, text: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes(data)
    return len(data)


def bulletin_items(writer: Writer, mentioned: list[CityRef]) -> list[str]:
    """The news of one issue as the light corpus has them: 4–8 short items."""
    rng = writer.rng
    parts = []
    for index in range(rng.randint(4, 8)):
        city = mentioned[index % len(mentioned)]
        parts += [f"## {city.title}: {rng.choice(SUBHEADINGS).lower()}",
                  f"Специалисты города [{city.title}](/cities/{city.slug}/) {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(ADVERBIALS)}. "
                  + writer.paragraph(2, 4)]
        if rng.random() < 0.4:
            parts.append(writer.paragraph(2, 4))
    return parts


def bulletin_news(writer: Writer, mentioned: list[CityRef]) -> list[str]:
    """The news of one issue: 8–12 items sharing about 1,500 words."""
    rng = writer.rng
    count = rng.randint(*BULLETIN_ITEMS)
    total = rng.randint(*BULLETIN_WORDS)
    parts = []
    for index in range(count):
        city = mentioned[index % len(mentioned)]
        item = [f"## {city.title}: {rng.choice(SUBHEADINGS).lower()}",
                f"Специалисты города [{city.title}](/cities/{city.slug}/) {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(ADVERBIALS)}. "
                + writer.paragraph(2, 4)]
        if rng.random() < 0.25:
            item.append(writer.bullet_list(low=2, high=4))
        # Each item takes its share of what the issue still lacks.
        share = (total - sum(word_count(p) for p in parts)) // (count - index)
        while sum(word_count(p) for p in item) < share - 40:
            item.append(writer.paragraph(2, 4))
        parts += item
    return parts


def make_corpus(scale: float, out: Path, project: Path = PROJECT, light: bool = False) -> dict[str, int]:
    """Write the corpus for ``scale`` into ``out``; returns counts and sizes. ``light``: the
    earlier corpus, with bulletins and Vestnik articles about four times shorter."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    rng = random.Random(f"e-gorod bench corpus {scale!r}")
    settings = yaml.safe_load((project / "site.yaml").read_text(encoding="utf-8"))
    countries = [c["name"] for c in settings["countries"]]
    problems = [(sector, problem) for sector in settings["rubricator"] for problem in sector["problems"]]

    out.mkdir(parents=True, exist_ok=True)
    content = out / "content"
    if content.exists():
        shutil.rmtree(content)
    shutil.copyfile(project / "site.yaml", out / "site.yaml")
    stats = {"cities": 0, "practices": 0, "practice_bytes": 0, "bulletins": 0, "vestnik_issues": 0,
             "articles": 0, "pages": 0, "bytes": 0, "bulletin_words": 0, "article_words": 0}

    # Cities: the project's real member cities first, generated ones above their number.
    n_cities = scaled(CITIES, scale)
    reals = real_cities(project)
    if n_cities < len(reals):
        picked = sorted(rng.sample(range(len(reals)), n_cities))
        reals = [reals[i] for i in picked]
    cities = []
    for path, ref in reals:
        stats["bytes"] += write(content / "cities" / path.name, path.read_text(encoding="utf-8"))
        cities.append(ref)
    taken = {c.slug for c in cities}
    known_countries = [c for c in countries if c in COUNTRY_BOXES] or countries
    for index, (title, slug) in enumerate(generated_city_names(rng, n_cities - len(cities), taken)):
        country = known_countries[index % len(known_countries)]
        lat0, lat1, lon0, lon1 = COUNTRY_BOXES.get(country, (40, 60, 30, 90))
        lat, lon = rng.uniform(lat0, lat1), rng.uniform(lon0, lon1)
        text = (f"---\ntitle: {title}\ncountry: {country}\ncoordinates: [{lat:.4f}, {lon:.4f}]\n"
                f"population: {rng.randrange(100, 2000) * 1000}\n"
                f"summary: Город {title} - условный город-участник для нагрузочного теста сайта.\n"
                f"sample: true\n---\n")
        writer = Writer(rng, cities or [CityRef(slug, title, country)], [])
        text += "\n\n".join(writer.paragraph() for _ in range(2)) + "\n"
        stats["bytes"] += write(content / "cities" / f"{slug}.md", text)
        cities.append(CityRef(slug, title, country))
    stats["cities"] = len(cities)

    # Practices: plan titles and slugs first, so that bodies can link to other practices.
    n_practices = scaled(PRACTICES, scale)
    plans = []
    slugs: set[str] = set()
    for i in range(n_practices):
        edition = 1 + i * EDITIONS // n_practices
        year = 2007 + edition
        sector, problem = problems[i % len(problems)]
        rubrics = [problem["slug"]]
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            extra = rng.choice(problems)[1]["slug"]
            if extra not in rubrics:
                rubrics.append(extra)
        city = rng.choice(cities)
        topic = rng.choice(TOPICS.get(problem["slug"], GENERIC_TOPICS))
        title = f"{rng.choice(PRACTICE_ACTIONS)} {topic} {rng.choice(QUALIFIERS)}"
        base = f"{slugify(title, 50)}-{city.slug}-{year}"
        slug, n = base, 2
        while slug in slugs:
            slug, n = f"{base}-{n}", n + 1
        slugs.add(slug)
        plans.append((slug, title, city, year, edition, sector, problem, rubrics))
    practice_slugs = [p[0] for p in plans]
    writer = Writer(rng, cities, practice_slugs)
    for slug, title, city, year, edition, sector, problem, rubrics in plans:
        award = rng.choice(AWARDS)
        head = [
            "---", f"title: {yq(title)}", f"city: {city.slug}", f"year: {year}", f"rubrics: {ylist(rubrics)}",
            "contest:", f"  edition: {edition}", f"  year: {year}", f"  nomination: {yq(sector['title'])}",
        ]
        if award:
            head.append(f"  award: {award}")
        head += [f"summary: {yq(writer.summary(city))}",
                 f"contacts: {yq('Администрация города ' + city.title + ' (пример)')}",
                 "sample: true", "---"]
        writer.footnotes = []
        target = int(PRACTICE_BYTES * rng.uniform(0.7, 1.3))
        parts = [
            "## Проблема", writer.paragraph(4, 7), writer.paragraph(),
            f"Проблемный вопрос \"{problem['title']}\" - один из приоритетов города [{city.title}](/cities/{city.slug}/) в сфере \"{sector['title']}\".",
            "## Решение", writer.paragraph(4, 7),
            "### Этапы реализации", writer.bullet_list(ordered=True, low=4, high=7),
            writer.paragraph(),
            "### Участники проекта", writer.bullet_list(people=True), writer.paragraph(),
            "## Результаты", writer.table(year), writer.paragraph(),
            f"> {writer.rng.choice(CONCLUSIONS)}",
            "## Как повторить", writer.bullet_list(ordered=True), writer.paragraph(2, 4),
            "## Опыт реализации",
        ]
        writer.sections(parts, target - 1850)
        notes = writer.footnote_block()
        body = "\n\n".join(parts) + ("\n\n" + notes if notes else "") + "\n"
        size = write(content / "practices" / f"{slug}.md", "\n".join(head) + "\n" + body)
        stats["practice_bytes"] += size
        stats["bytes"] += size
    stats["practices"] = n_practices

    # Bulletins: monthly, numbered 1…N, the last one in December 2025.
    n_bulletins = scaled(BULLETINS, scale)
    for number in range(1, n_bulletins + 1):
        months_back = n_bulletins - number
        month_index = LAST_BULLETIN.year * 12 + LAST_BULLETIN.month - 1 - months_back
        date = dt.date(month_index // 12, month_index % 12 + 1, 15)
        mentioned = rng.sample(cities, min(len(cities), rng.randint(2, 5)))
        theme = rng.choice(BULLETIN_THEMES)
        head = ["---", f"number: {number}", f"date: {date.isoformat()}", f"title: {yq(theme)}",
                f"summary: {yq('Новости МАГ: ' + ', '.join(c.title for c in mentioned) + '.')}",
                f"cities: [{', '.join(c.slug for c in mentioned)}]", "sample: true", "---"]
        parts = bulletin_items(writer, mentioned) if light else bulletin_news(writer, mentioned)
        notes = writer.footnote_block()
        body = "\n\n".join(parts) + ("\n\n" + notes if notes else "") + "\n"
        stats["bulletin_words"] += word_count(body)
        stats["bytes"] += write(content / "bulletins" / f"{number}.md", "\n".join(head) + "\n" + body)
    stats["bulletins"] = n_bulletins

    # Vestnik: quarterly issues of 15 articles, the last one in December 2025.
    n_issues = scaled(VESTNIK_ISSUES, scale)
    for number in range(1, n_issues + 1):
        quarters_back = n_issues - number
        month_index = LAST_ISSUE.year * 12 + LAST_ISSUE.month - 1 - 3 * quarters_back
        date = dt.date(month_index // 12, month_index % 12 + 1, 20)
        theme = rng.choice(VESTNIK_THEMES)
        folder = content / "vestnik" / str(number)
        head = ["---", f"number: {number}", f"date: {date.isoformat()}", f"title: {yq(theme)}",
                f"editorial_board: {ylist(rng.sample(ROLE_AUTHORS, 3))}",
                f"summary: {yq('Номер о теме: ' + theme.lower() + '.')}", "sample: true", "---"]
        body = "\n\n".join(writer.paragraph(4, 6) for _ in range(3))
        stats["bytes"] += write(folder / "_index.md", "\n".join(head) + "\n" + body + "\n")
        used: set[str] = set()
        for order in range(1, ARTICLES_PER_ISSUE + 1):
            title = rng.choice(ARTICLE_TITLES)
            if title in used:
                title = f"{title}: {rng.choice(SUBHEADINGS).lower()}"
            base = slugify(title, 40)
            slug, n = base, 2
            while slug in used:
                slug, n = f"{base}-{n}", n + 1
            used.update((title, slug))
            mentioned = rng.sample(cities, min(len(cities), rng.randint(1, 3)))
            head = ["---", f"title: {yq(title)}", f"authors: {ylist(rng.sample(ROLE_AUTHORS, rng.randint(1, 2)))}",
                    f"section: {rng.choice(SECTIONS)}",
                    f"summary: {yq(writer.summary(rng.choice(mentioned)))}",
                    f"cities: [{', '.join(c.slug for c in mentioned)}]", "sample: true", "---"]
            parts = [writer.paragraph(4, 6), "## " + rng.choice(SUBHEADINGS), writer.paragraph(),
                     writer.bullet_list(), writer.paragraph()]
            if rng.random() < 0.3:
                parts += [writer.table(date.year - 4), writer.paragraph(2, 3)]
            if light:
                writer.sections(parts, int(rng.uniform(6000, 13000)), heading="##")
            else:
                writer.words_of_sections(parts, rng.randint(ARTICLE_WORDS[0], ARTICLE_WORDS[1] - 250))
            notes = writer.footnote_block()
            text = "\n\n".join(parts) + ("\n\n" + notes if notes else "") + "\n"
            stats["bytes"] += write(folder / f"{order:02d}-{slug}.md", "\n".join(head) + "\n" + text)
            stats["articles"] += 1
            stats["article_words"] += word_count(text)
    stats["vestnik_issues"] = n_issues

    # Free pages: the project's own.
    for path in sorted((project / "content" / "pages").glob("*.md")):
        stats["bytes"] += write(content / "pages" / path.name, path.read_text(encoding="utf-8"))
        stats["pages"] += 1
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = the Assembly's real size (default)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write site.yaml and content/ into")
    parser.add_argument("--light", action="store_true",
                        help="the earlier corpus: bulletins and Vestnik articles about four times shorter")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")
    stats = make_corpus(args.scale, args.out, light=args.light)
    print(f"corpus at scale {args.scale:g} in {args.out}: {stats['cities']} cities, {stats['practices']} practices "
          f"({stats['practice_bytes'] / 1e6:.1f} MB), {stats['bulletins']} bulletins, "
          f"{stats['vestnik_issues']} Vestnik issues ({stats['articles']} articles), {stats['pages']} pages; "
          f"words per bulletin {stats['bulletin_words'] // max(1, stats['bulletins'])}, "
          f"per article {stats['article_words'] // max(1, stats['articles'])}; "
          f"{stats['bytes'] / 1e6:.1f} MB in all", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
