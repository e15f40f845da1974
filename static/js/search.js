// Pagefind's own UI, self-hosted under /pagefind/. Without JavaScript the page keeps the
// rubricator as a list of links, so nothing here is needed to reach any content.
(function () {
  "use strict";
  var element = document.getElementById("search");
  if (!element || typeof PagefindUI === "undefined") return;
  var fallback = document.getElementById("search-fallback");
  if (fallback) fallback.hidden = true;
  var ui = new PagefindUI({
    element: "#search",
    showSubResults: true,
    showImages: false,
    resetStyles: false,
    pageSize: 10,
    excerptLength: 30,
    translations: {
      placeholder: element.getAttribute("data-placeholder") || "Поиск",
      clear_search: "Очистить",
      load_more: "Показать ещё",
      search_label: "Поиск по сайту",
      filters_label: "Фильтры",
      zero_results: "Ничего не найдено по запросу «[SEARCH_TERM]»",
      many_results: "[COUNT] результатов по запросу «[SEARCH_TERM]»",
      one_result: "[COUNT] результат по запросу «[SEARCH_TERM]»",
      alt_search: "По запросу «[SEARCH_TERM]» ничего нет. Результаты по запросу «[DIFFERENT_TERM]»",
      search_suggestion: "Попробуйте другой запрос",
      searching: "Ищем «[SEARCH_TERM]»…"
    }
  });
  var params = new URLSearchParams(window.location.search);
  var query = params.get("q");
  var type = params.get("type");
  if (type) ui.triggerFilters({ "Тип": [type] });
  if (query) ui.triggerSearch(query);
})();
