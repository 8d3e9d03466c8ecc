// app.js: the dashboard's entry point: the session, the hash router
// (#/, #/clusters/NAME, #/clusters/NAME/services/NAME,
// #/deployments/ARN, each part URL-encoded) and the page's frame.

import {currentSession, loadSession, setSignedOutHandler, signOut} from './api.js';
import {deploymentView} from './deployment.js';
import {clearErrors, h, links, replace, showError, tick} from './dom.js';
import {clustersView, notFoundView, serviceView, servicesView, signInView} from './views.js';

const main = document.getElementById('main');
let leave = () => {};
let shownRoute = null;

// route parses the location's hash into a view and its parameters.
function route(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  let p;
  try {
    p = parts.map(decodeURIComponent);
  } catch {
    return [notFoundView];
  }
  if (p.length === 0) return [clustersView];
  if (p[0] === 'clusters' && p.length === 2) return [servicesView, p[1]];
  if (p[0] === 'clusters' && p.length === 4 && p[2] === 'services') return [serviceView, p[1], p[3]];
  if (p[0] === 'deployments' && p.length === 2) return [deploymentView, p[1]];
  return [notFoundView];
}

// newContext is what a view gets: where to render, how to name the page,
// and how to clean up when the user goes elsewhere. When moved, the first
// render focuses the page's heading, so that keyboard and screen reader
// users start at the top of what changed.
function newContext(moved) {
  const cleanups = [];
  let left = false;
  let focusHeading = moved;
  return {
    main,
    left: () => left,
    render(...nodes) {
      if (left) return;
      replace(main, ...nodes);
      if (focusHeading) {
        focusHeading = false;
        main.querySelector('h1')?.focus();
      }
    },
    onLeave: (fn) => cleanups.push(fn),
    setTitle(title, crumbs) {
      if (left) return;
      document.title = `${title} · cutover`;
      const ol = document.getElementById('crumbs');
      const items = [{text: 'Clusters', href: links.clusters()}, ...crumbs];
      ol.replaceChildren(...items.map((c, i) => h('li', {},
        i === items.length - 1 ? h('span', {'aria-current': 'page'}, c.text) : h('a', {href: c.href}, c.text))));
    },
    leave() {
      left = true;
      for (const fn of cleanups) fn();
    },
  };
}

// show renders the view of the current location, or the sign-in form.
function show() {
  leave();
  clearErrors();
  const s = currentSession();
  renderUser(s);
  if (s && !s.signedIn) {
    const ctx = newContext(false);
    leave = () => ctx.leave();
    shownRoute = null;
    signInView(ctx, () => show());
    return;
  }
  const [view, ...params] = route(location.hash);
  const ctx = newContext(shownRoute !== null && shownRoute !== location.hash);
  leave = () => ctx.leave();
  shownRoute = location.hash;
  view(ctx, ...params);
}

// renderUser shows who is signed in, with the sign-out button.
function renderUser(s) {
  const el = document.getElementById('user');
  if (!s || !s.user) {
    el.replaceChildren();
    return;
  }
  const who = h('span', {class: 'who'}, s.signInRequired ? 'Signed in as ' : 'Local user ', h('strong', {}, s.user.name));
  if (!s.signInRequired) {
    el.replaceChildren(who);
    return;
  }
  el.replaceChildren(who, ' ', h('button', {type: 'button', class: 'link', onclick: async () => {
    try {
      await signOut();
    } catch (err) {
      showError(err, 'Signing out');
      return;
    }
    show();
  }}, 'Sign out'));
}

// The skip link moves focus to the content without touching the hash,
// which is the router's.
document.getElementById('skip-link').addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});

setSignedOutHandler(async () => {
  try {
    await loadSession();
  } catch {
    return;
  }
  if (!currentSession().signedIn) show();
});

window.addEventListener('hashchange', () => show());
setInterval(tick, 1000);

(async () => {
  try {
    await loadSession();
  } catch (err) {
    main.replaceChildren(h('h1', {}, 'cutover'));
    showError(err, 'Loading the session');
    return;
  }
  show();
})();
