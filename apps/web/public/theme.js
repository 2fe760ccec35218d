/* global window, document */
// Runs before the first paint (a blocking script in <head>, served as a file so the strict CSP
// allows it): the dark class must be on <html> before anything is drawn, or dark mode flashes white.
// The copy in localStorage is written by the app from the account's preference (src/lib/preferences.ts).
(function () {
  var theme = 'system';
  try {
    var saved = JSON.parse(localStorage.getItem('bastion.preferences') || '{}');
    if (saved.theme === 'light' || saved.theme === 'dark') theme = saved.theme;
  } catch {
    // No storage (private mode) or a damaged copy: follow the system.
  }
  var dark = theme === 'dark' || (theme === 'system' && window.matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.classList.toggle('dark', dark);
})();
