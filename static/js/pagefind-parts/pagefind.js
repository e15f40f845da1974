// Pagefind's search API over the parts of the index, for Pagefind's UI (which loads
// <bundlePath>pagefind.js: search.js gives it this folder) and any other script.
//
// The first index, at /pagefind/, is the vocabulary: a record per part with the words of its
// pages, carrying the filters «служебное: словарь» and «часть: <part>»; the parts are merged
// into it, each with the filter «часть» of its name (/pagefind/indexes.json). A part that holds
// no word beginning with a query word would be searched by Pagefind for a shorter beginning of
// it instead (egorod/search.py). So a search first asks the vocabulary which parts hold every
// word of the query, then searches the pages of those parts only. The records are left out of
// every search of pages (Pagefind's `not` filter), and both filters out of the counts.
import * as pagefind from "/pagefind/pagefind.js";

const SERVICE = "служебное";
const VOCABULARY = "словарь";
const PART = "часть";
const NO_PART = "-";         // no part is named so: a query whose words no part holds finds nothing
const DEBOUNCE_MS = 300;

// The filters of a search of pages: the caller's, the vocabulary's records left out and, when
// ``parts`` is a list, only the pages of those parts.
function pageFilters(filters, parts) {
  var combined = Object.assign({}, filters || {});
  combined.not = Object.assign({}, combined.not || {});
  combined.not[SERVICE] = VOCABULARY;
  if (parts) combined[PART] = { any: parts.length ? parts : [NO_PART] };
  return combined;
}

function hideFilters(counts) {
  if (counts && typeof counts === "object") {
    delete counts[SERVICE];
    delete counts[PART];
  }
  return counts;
}

function hasFilters(filters) {
  return Object.keys(filters || {}).length > 0;
}

// A search counts the values of a filter only once its index is loaded: the first search
// loads them all (the UI asks for them at the start anyway).
var filtersLoaded = null;

function loadFilters() {
  if (!filtersLoaded) {
    filtersLoaded = pagefind.filters().catch(function (error) { filtersLoaded = null; throw error; });
  }
  return filtersLoaded;
}

// The parts that hold every word of ``term``, or null when every part is to be searched: no
// words (filters alone) or an exact phrase (Pagefind looks for no beginnings of words then).
async function partsHolding(term) {
  if (term === null || term === undefined || !String(term).trim() || /^\s*".+"\s*$/.test(term)) return null;
  await loadFilters();
  var filters = {};
  filters[SERVICE] = VOCABULARY;
  var found = await pagefind.search(term, { filters: filters });
  var counts = (found && found.filters && found.filters[PART]) || {};
  return Object.keys(counts).filter(function (part) { return counts[part] > 0; }).sort();
}

export async function search(term, searchOptions) {
  var options = Object.assign({}, searchOptions || {});
  var parts = await partsHolding(term);
  var response = await pagefind.search(term, Object.assign({}, options, { filters: pageFilters(options.filters, parts) }));
  if (!response) return response;
  if (parts === null) {
    // Counts before filters: without the records the query's words matched.
    var records = (response.totalFilters && response.totalFilters[SERVICE] &&
                   response.totalFilters[SERVICE][VOCABULARY]) || 0;
    if (typeof response.unfilteredResultCount === "number") response.unfilteredResultCount -= records;
  } else {
    // Counts before the caller's filters, within the parts that hold the words (Pagefind's own
    // would count the other parts' pages too).
    var unfiltered = hasFilters(options.filters)
      ? await pagefind.search(term, { filters: pageFilters({}, parts) })
      : response;
    response.totalFilters = JSON.parse(JSON.stringify(unfiltered.filters || {}));
    response.unfilteredResultCount = unfiltered.results.length;
  }
  hideFilters(response.filters);
  hideFilters(response.totalFilters);
  return response;
}

export var options = pagefind.options;
export var init = pagefind.init;
export var destroy = pagefind.destroy;
export var mergeIndex = pagefind.mergeIndex;

var latestSearch = 0;

export async function debouncedSearch(term, searchOptions, timeout) {
  var mine = ++latestSearch;
  preload(term, searchOptions);
  await new Promise(function (done) { window.setTimeout(done, typeof timeout === "number" ? timeout : DEBOUNCE_MS); });
  if (mine !== latestSearch) return null;
  var response = await search(term, searchOptions);
  return mine === latestSearch ? response : null;
}

export async function preload(term, searchOptions) {
  var options = Object.assign({}, searchOptions || {});
  return pagefind.preload(term, Object.assign({}, options, { filters: pageFilters(options.filters, null) }));
}

export async function filters() {
  return hideFilters(await pagefind.filters());
}
