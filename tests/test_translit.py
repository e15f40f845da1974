from egorod.translit import slugify


def test_gost_style_transliteration():
    assert slugify("Нижний Новгород") == "nizhniy-novgorod"
    assert slugify("Петропавловск-Камчатский") == "petropavlovsk-kamchatskiy"
    assert slugify("Щёлково, Объезд и Хабаровск") == "shchelkovo-obezd-i-khabarovsk"


def test_signs_and_punctuation_do_not_become_letters():
    assert slugify("Бюллетень № 239: «Итоги»") == "byulleten-239-itogi"


def test_long_titles_are_cut_at_a_word():
    slug = slugify("Очень длинное название практики " * 10)
    assert len(slug) <= 80 and not slug.endswith("-")
