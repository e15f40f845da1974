// Pagefind's search API over the parts of the index, for Pagefind's UI (which loads
// <bundlePath>pagefind.js: search.js gives it this folder) and any other script.
//
// Each part of the index that lacks some of the site's words holds one more record, the
// vocabulary: those words once each, so that a word of the site is never missing from a
// part (Pagefind would search that part for a beginning of it instead; egorod/search.py).
// The record carries the filter «служебное: словарь»; here every search leaves it out with
// Pagefind's `not` filter, and the filter is taken out of the counts the UI shows.
import * as pagefind from "/pagefind/pagefind.js";

const KEY = "служебное";
const VALUE = "словарь";

function withoutRecords(options) {
  var filters = Object.assign({}, (options && options.filters) || {});
  filters.not = {};
  filters.not[KEY] = VALUE;
  return Object.assign({}, options || {}, { filters: filters });
}

function hideFilter(counts) {
  if (counts && typeof counts === "object") delete counts[KEY];
  return counts;
}

function hideRecords(response) {
  if (!response) return response;
  // The records a query's words matched, left out of the count of results before filters.
  var records = (response.totalFilters && response.totalFilters[KEY] && response.totalFilters[KEY][VALUE]) || 0;
  if (typeof response.unfilteredResultCount === "number") response.unfilteredResultCount -= records;
  hideFilter(response.filters);
  hideFilter(response.totalFilters);
  return response;
}

export var options = pagefind.options;
export var init = pagefind.init;
export var destroy = pagefind.destroy;
export var mergeIndex = pagefind.mergeIndex;

export async function search(term, searchOptions) {
  return hideRecords(await pagefind.search(term, withoutRecords(searchOptions)));
}

export async function debouncedSearch(term, searchOptions, timeout) {
  return hideRecords(await pagefind.debouncedSearch(term, withoutRecords(searchOptions), timeout));
}

export async function preload(term, searchOptions) {
  return pagefind.preload(term, withoutRecords(searchOptions));
}

export async function filters() {
  return hideFilter(await pagefind.filters());
}
