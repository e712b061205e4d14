// The triggers other than page_load as one chunk of their own (dist/widget/kairos-ui/triggers-*.js), loaded when
// a campaign armed with one of them waits on the page; each is exported under its config type. page_load, which
// most campaigns use and which should not wait for a fetch, stays in the first script; exit intent and viewers
// have chunks of their own (the biggest; the one with the presence loop).
export { cart } from '../triggers/cart';
export { click } from '../triggers/click';
export { event } from '../triggers/event';
export { inactivity } from '../triggers/inactivity';
export { pageViews as page_views } from '../triggers/page-views';
export { scrollDepth as scroll_depth } from '../triggers/scroll-depth';
export { timeOnPage as time_on_page } from '../triggers/time-on-page';
export { setDebug } from '../safe';
