// deployment.js: one deployment, live: status, timeline, weights, tasks,
// hooks, audit trail, events and a chart of each target group's
// traffic, with the buttons that act on it.

import {call, cutover, metrics, subscribe} from './api.js';
import {legend, lineChart} from './chart.js';
import {
  announce, badge, debounce, dl, fmtDuration, h, lastPart, links, section, showError, since, table,
  targetGroupName, time, toDate, until,
} from './dom.js';
import {auditTable, guarded} from './views.js';

// The lifecycle stages, in order.
const STAGES = [
  'RECONCILE_SERVICE', 'PRE_SCALE_UP', 'SCALE_UP', 'POST_SCALE_UP', 'TEST_TRAFFIC_SHIFT', 'POST_TEST_TRAFFIC_SHIFT',
  'PRE_PRODUCTION_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT', 'BAKE_TIME', 'CLEAN_UP',
];
const BAKING_STRATEGIES = ['BLUE_GREEN', 'LINEAR', 'CANARY'];
const ONGOING = ['PENDING', 'IN_PROGRESS'];

// Refresh periods besides the event stream: weights, health and
// metrics change without events.
const ONGOING_REFRESH_MS = 10000;
const SETTLED_REFRESH_MS = 60000;
// METRICS_MARGIN_MS is how much of the traffic before and after the
// deployment the chart shows.
const METRICS_MARGIN_MS = 60000;
// MAX_EVENTS bounds the events listed.
const MAX_EVENTS = 200;

// Colours of the revisions' series: the target first.
const COLOURS = ['#1a7f37', '#0b5cad', '#8250df', '#bf8700'];
const ERROR_COLOURS = ['#cf222e', '#a40e26', '#d1242f', '#9a6700'];

// deploymentView shows the deployment arn.
export function deploymentView(ctx, arn) {
  ctx.setTitle(`Deployment ${lastPart(arn)}`, [{text: `Deployment ${lastPart(arn)}`}]);
  let det = null;
  const series = new Map(); // metrics by target group ARN
  const events = new Map(); // the deployment's events by sequence number
  let busy = false;
  let confirming = null; // the data-key of the action awaiting confirmation
  let focusNext = null; // the data-key to focus after the next render
  let said = '';
  let streaming = false;

  const ongoing = () => det && ONGOING.includes(det.serviceDeployment.status);

  const loadDetails = guarded(ctx, 'Loading the deployment', async () => {
    det = (await cutover('DescribeServiceDeploymentDetails', {serviceDeploymentArn: arn})).details;
    await loadMetrics();
    if (ctx.left()) return;
    render();
    if (!streaming) startStream();
  });

  async function loadMetrics() {
    const {start, end} = span();
    await Promise.all(det.revisions.filter((r) => r.targetGroupArn).map(async (r) => {
      try {
        series.set(r.targetGroupArn, await metrics(r.targetGroupArn, start, end));
      } catch (err) {
        series.delete(r.targetGroupArn);
        if (err.status !== 401) showError(err, `Loading the metrics of ${targetGroupName(r.targetGroupArn)}`);
      }
    }));
  }

  // span is the chart's time span: the deployment's, with a margin.
  function span() {
    const sd = det.serviceDeployment;
    const from = toDate(sd.createdAt) || toDate(det.stages[0]?.startedAt) || new Date(Date.now() - 3600e3);
    const to = toDate(sd.finishedAt) || toDate(sd.stoppedAt);
    return {
      start: new Date(from.getTime() - METRICS_MARGIN_MS),
      end: to && !ongoing() ? new Date(Math.min(Date.now(), to.getTime() + METRICS_MARGIN_MS)) : new Date(),
    };
  }

  const reload = debounce(loadDetails, 300);
  ctx.onLeave(reload.cancel);

  function startStream() {
    streaming = true;
    // after=0 replays the service's retained events, then follows the
    // log: the deployment's own are listed, any may change what is shown.
    ctx.onLeave(subscribe([['resource', det.serviceDeployment.serviceArn], ['after', '0']], (env, seq) => {
      const mine = (env.resources || []).includes(arn) || env.detail?.serviceDeploymentArn === arn;
      if (mine) {
        events.set(seq, env);
        if (events.size > MAX_EVENTS) events.delete(Math.min(...events.keys()));
      }
      if (mine || ongoing()) reload();
    }));
    let timer = null;
    const periodic = () => {
      timer = setTimeout(() => {
        loadDetails().finally(() => {
          if (!ctx.left()) periodic();
        });
      }, ongoing() ? ONGOING_REFRESH_MS : SETTLED_REFRESH_MS);
    };
    ctx.onLeave(() => clearTimeout(timer));
    periodic();
  }

  // act runs an action once, shows its error if any, and reloads.
  async function act(what, key, fn) {
    if (busy) return;
    busy = true;
    confirming = null;
    render();
    try {
      await fn();
      announce(`${what}: done.`);
    } catch (err) {
      showError(err, what);
    } finally {
      busy = false;
      focusNext = key;
      await loadDetails();
    }
  }

  // button makes an action button; a confirmed one asks first, in place.
  function button(key, label, what, fn, {primary = false, confirm = null} = {}) {
    if (confirm && confirming === key) {
      return h('span', {class: 'confirm', role: 'group', 'aria-label': confirm},
        h('span', {}, confirm, ' '),
        h('button', {type: 'button', class: 'danger', 'data-key': `${key}:yes`, 'data-action': `${key.split(':')[0]}-confirm`,
          onclick: () => act(what, key, fn)}, `Yes, ${label.toLowerCase()}`),
        h('button', {type: 'button', 'data-key': `${key}:no`, onclick: () => {
          confirming = null;
          focusNext = key;
          render();
        }}, 'Cancel'));
    }
    return h('button', {
      type: 'button', class: primary ? 'primary' : confirm ? 'danger' : null, 'data-key': key, 'data-action': key.split(':')[0],
      'aria-disabled': busy ? 'true' : null,
      onclick: () => {
        if (busy) return;
        if (confirm) {
          confirming = key;
          focusNext = `${key}:yes`;
          render();
          return;
        }
        act(what, key, fn);
      },
    }, label);
  }

  function actions() {
    const sd = det.serviceDeployment;
    const strategy = sd.deploymentConfiguration?.strategy || 'ROLLING';
    const live = ONGOING.includes(sd.status);
    const rollingBack = !!sd.rollback || (sd.status || '').startsWith('ROLLBACK');
    const items = [];
    for (const hk of det.hooks.filter((x) => x.current && x.targetType === 'PAUSE' && x.status === 'AWAITING_ACTION')) {
      const cont = () => call('ContinueServiceDeployment', {serviceDeploymentArn: arn, hookId: hk.hookId, action: 'CONTINUE'});
      const back = () => call('ContinueServiceDeployment', {serviceDeploymentArn: arn, hookId: hk.hookId, action: 'ROLLBACK'});
      const rollBack = button(`hook-rollback:${hk.hookId}`, 'Roll back', 'Rolling back at the pause', back,
        {confirm: 'Roll the deployment back instead of continuing?'});
      if (hk.stage === 'PRE_PRODUCTION_TRAFFIC_SHIFT' && hk.timeoutAction === 'CONTINUE') {
        items.push(h('div', {class: 'action'},
          h('p', {}, h('strong', {}, 'Production traffic moves in ', until(hk.expiresAt)),
            hk.step ? ` (step ${hk.step})` : '', '. Shift it now, or roll back.'),
          h('div', {class: 'buttons'},
            button(`shift-now:${hk.hookId}`, 'Shift production now', 'Shifting production traffic', cont, {primary: true}), rollBack)));
      } else {
        items.push(h('div', {class: 'action'},
          h('p', {}, h('strong', {}, `Waiting for approval at ${hk.stage}`), hk.step ? ` (step ${hk.step})` : '',
            '. Times out in ', until(hk.expiresAt), `, then ${hk.timeoutAction === 'CONTINUE' ? 'continues' : 'rolls back'}.`),
          h('div', {class: 'buttons'},
            button(`approve:${hk.hookId}`, 'Approve', 'Approving', cont, {primary: true}), rollBack)));
      }
    }
    if (det.bakeEndsAt && live) {
      items.push(h('p', {class: 'action'}, h('strong', {}, 'Bake time ends in ', until(det.bakeEndsAt)), ' (at ', time(det.bakeEndsAt), ').'));
    }
    if (det.bakeEndedAt) {
      items.push(h('p', {class: 'action'}, 'Bake time was ended early at ', time(det.bakeEndedAt), '.'));
    }
    const buttons = [];
    const stage = STAGES.indexOf(sd.lifecycleStage);
    if (BAKING_STRATEGIES.includes(strategy) && live && !rollingBack && stage <= STAGES.indexOf('BAKE_TIME') && !det.bakeEndedAt) {
      buttons.push(button('end-bake', 'End bake time now', 'Ending the bake time',
        () => cutover('EndServiceDeploymentBakeTime', {serviceDeploymentArn: arn}), {primary: !!det.bakeEndsAt}));
    }
    if (live) {
      buttons.push(button('rollback', 'Roll back the deployment', 'Rolling back the deployment',
        () => call('StopServiceDeployment', {serviceDeploymentArn: arn, stopType: 'ROLLBACK'}),
        {confirm: 'Roll back the whole deployment?'}));
    }
    if (buttons.length) items.push(h('div', {class: 'buttons'}, buttons));
    if (!items.length) return null;
    return h('section', {'aria-labelledby': 'actions-h', class: 'actions', 'aria-busy': busy ? 'true' : null},
      h('h2', {id: 'actions-h', tabindex: '-1'}, 'Actions'), items);
  }

  function summary() {
    const sd = det.serviceDeployment;
    const cb = sd.deploymentCircuitBreaker;
    const al = sd.alarms;
    return dl([
      ['Status', badge(sd.status, {id: 'deployment-status'})],
      ['Stage', h('span', {id: 'deployment-stage'}, sd.lifecycleStage || '—')],
      ['Strategy', sd.deploymentConfiguration?.strategy || 'ROLLING'],
      ['Reason', sd.statusReason],
      ['Target revision', lastPart(sd.targetServiceRevision?.arn)],
      ['Created', time(sd.createdAt)],
      ['Finished', sd.finishedAt ? time(sd.finishedAt) : sd.stoppedAt ? time(sd.stoppedAt) : null],
      ['Rollback', sd.rollback ? [sd.rollback.reason || 'rolled back', ' at ', time(sd.rollback.startedAt)] : null],
      ['Circuit breaker', cb && cb.status && cb.status !== 'DISABLED' ? `${cb.status}, ${cb.failureCount ?? 0} of ${cb.threshold ?? '?'} failures` : null],
      ['Alarms', al && al.alarmNames?.length ? `${al.status}: ${al.alarmNames.join(', ')}${al.triggeredAlarmNames?.length ? ` (triggered: ${al.triggeredAlarmNames.join(', ')})` : ''}` : null],
      ['Production listener', listenerLink(det.productionUrl)],
      ['Test listener', listenerLink(det.testUrl)],
    ]);
  }

  function timeline() {
    const now = Date.now();
    const spans = det.stages.map((s) => ((toDate(s.endedAt) || new Date(now)) - toDate(s.startedAt)));
    const total = spans.reduce((a, b) => a + b, 0) || 1;
    return h('ol', {class: 'timeline'}, det.stages.map((s, i) => {
      const current = !s.endedAt;
      const bar = h('span', {class: 'bar', 'aria-hidden': 'true'});
      bar.style.width = `${Math.max(0.5, (100 * spans[i]) / total).toFixed(1)}%`;
      return h('li', {class: `stage${current ? ' current' : ''}${s.rollback ? ' rollback' : ''}`, 'aria-current': current ? 'step' : null},
        h('span', {class: 'stage-name'}, s.stage, s.step ? ` (step ${s.step})` : ''),
        s.rollback ? h('span', {class: 'tag tag-rollback'}, 'rollback') : null,
        h('span', {class: 'stage-time'}, current ? [since(s.startedAt), ' so far'] : fmtDuration(spans[i]),
          h('span', {class: 'muted'}, ' from ', time(s.startedAt))),
        bar);
    }));
  }

  // revisions shows the revisions, with their traffic weights when the
  // service is behind the load balancer.
  function revisions() {
    const balanced = det.revisions.some((r) => r.targetGroupArn);
    const headers = ['Revision', 'Task definition', 'Tasks'];
    if (balanced) headers.push('Target group', 'Test traffic', 'Production traffic');
    return table({text: 'Revisions and their traffic weights', hidden: true}, headers, det.revisions, (r) => {
      const cells = [
        [`${r.role === 'target' ? 'Target' : 'Source'} `, lastPart(r.arn)],
        lastPart(r.taskDefinition) || '—', `${r.running} running, ${r.pending} pending, ${r.requested} requested`,
      ];
      if (balanced) {
        cells.push(r.targetGroupArn ? targetGroupName(r.targetGroupArn) : '—',
          weight(r.testWeight, `Test traffic to ${lastPart(r.arn)}`),
          weight(r.productionWeight, `Production traffic to ${lastPart(r.arn)}`));
      }
      return cells;
    });
  }

  function weight(v, label) {
    const m = h('meter', {min: 0, max: 100, value: v ?? 0, 'aria-label': label});
    const n = Number(v ?? 0);
    return h('span', {class: 'weight'}, m, ` ${n.toFixed(Number.isInteger(n) ? 0 : 1)}%`);
  }

  function tasks() {
    return table({text: 'Tasks of the revisions', hidden: true},
      ['Task', 'Revision', 'Status', 'Desired', 'Health', 'Target health', 'Started', 'Stopped reason'], det.tasks, (t) => [
        lastPart(t.taskArn).slice(0, 12), lastPart(t.revisionArn), badge(t.lastStatus), t.desiredStatus,
        badge(t.healthStatus || 'UNKNOWN'), t.targetHealth ? badge(t.targetHealth) : '—', time(t.startedAt), t.stoppedReason || '—',
      ], 'No tasks.');
  }

  function hooks() {
    return table({text: 'Hook runs, oldest first', hidden: true},
      ['Stage', 'Type', 'Status', 'Attempts', 'Last reply', 'Started', 'Expires', 'On timeout', 'Reason'], det.hooks, (hk) => {
        const waiting = hk.current && (hk.status === 'AWAITING_ACTION' || hk.status === 'IN_PROGRESS');
        return [
          [hk.stage, hk.step ? ` (step ${hk.step})` : '', hk.rollback ? h('span', {class: 'tag tag-rollback'}, 'rollback') : null],
          [hk.targetType, hk.targetArn ? h('span', {class: 'muted'}, ` ${hk.targetArn}`) : null, h('div', {class: 'muted hook-id'}, hk.hookId)],
          badge(hk.status), hk.attempts, hk.lastReply ? h('code', {class: 'reply'}, hk.lastReply) : '—', time(hk.startedAt),
          waiting ? ['in ', until(hk.expiresAt)] : time(hk.expiresAt), hk.timeoutAction || '—', hk.reason || '—',
        ];
      }, 'No hooks ran.');
  }

  function chart() {
    const {start, end} = span();
    const lines = [];
    const totals = [];
    det.revisions.filter((r) => r.targetGroupArn).forEach((r, i) => {
      const m = series.get(r.targetGroupArn);
      const name = `${targetGroupName(r.targetGroupArn)} (${r.role} ${lastPart(r.arn)})`;
      const pts = (k) => (m?.series?.[k] || []);
      const err = sum5xx(pts('HTTPCode_Target_5XX_Count'), pts('HTTPCode_ELB_5XX_Count'));
      lines.push({label: `${name}: requests`, colour: COLOURS[i % COLOURS.length], points: pts('RequestCount')});
      lines.push({label: `${name}: 5xx`, colour: ERROR_COLOURS[i % ERROR_COLOURS.length], dashed: true, points: err});
      const total = (p) => p.reduce((a, [, v]) => a + v, 0);
      totals.push([name, total(pts('RequestCount')), total(pts('HTTPCode_Target_5XX_Count')), total(pts('HTTPCode_ELB_5XX_Count'))]);
    });
    if (!lines.length) return h('p', {class: 'empty'}, 'The service is not behind the load balancer: no traffic to show.');
    const period = Math.max(...[...series.values()].map((m) => m.period || 0), 0);
    const markers = det.stages.filter((s) => /TRAFFIC_SHIFT$|BAKE_TIME/.test(s.stage))
      .map((s) => ({at: toDate(s.startedAt), label: `${s.stage}${s.rollback ? ' (rollback)' : ''}`}));
    const title = `Requests and 5xx answers per ${period || '?'} s for each target group, ${totals.map((t) => `${t[0]}: ${t[1]} requests, ${t[2] + t[3]} 5xx`).join('; ')}`;
    return [
      lineChart({series: lines, markers, start, end, period, title}),
      legend(lines),
      table({text: 'Totals over the chart', hidden: false}, ['Target group', 'Requests', 'Target 5xx', 'Load balancer 5xx'], totals, (t) => t),
    ];
  }

  function eventList() {
    const list = [...events.entries()].sort((a, b) => b[0] - a[0]).map(([, e]) => e);
    return table({text: 'Events of the deployment, newest first', hidden: true}, ['Time', 'Event', 'Name', 'Detail'], list, (e) => {
      const d = e.detail || {};
      let text = d.reason || '';
      if (e['detail-type'] === 'ECS Hook State Change') text = `${d.hookType} hook ${d.hookId} at ${d.lifecycleStage}${d.reason ? `: ${d.reason}` : ''}`;
      if (e['detail-type'] === 'Cutover Audit Record') text = `${actorName(d.actor)}${d.hookId ? ` on ${d.hookId}` : ''}${d.detail ? `: ${d.detail}` : ''}`;
      return [time(e.time), e['detail-type'], d.eventName || d.action || '—', text || '—'];
    }, 'No events yet.');
  }

  function render() {
    if (!det || ctx.left()) return;
    const sd = det.serviceDeployment;
    ctx.setTitle(`Deployment ${lastPart(arn)}`, [
      {text: det.clusterName, href: links.cluster(det.clusterName)},
      {text: det.serviceName, href: links.service(det.clusterName, det.serviceName)},
      {text: `Deployment ${lastPart(arn)}`},
    ]);
    const status = `Deployment ${sd.status}${sd.lifecycleStage ? `, stage ${sd.lifecycleStage}` : ''}.`;
    if (status !== said) {
      announce(status);
      said = status;
    }
    ctx.render(
      h('h1', {tabindex: '-1'}, 'Deployment ', h('span', {class: 'name'}, lastPart(arn))),
      h('p', {class: 'muted'}, 'Service ', h('a', {href: links.service(det.clusterName, det.serviceName)}, det.serviceName),
        ' in cluster ', h('a', {href: links.cluster(det.clusterName)}, det.clusterName)),
      summary(),
      actions(),
      section('timeline-h', 'Timeline', det.stages.length ? timeline() : h('p', {class: 'empty'}, 'Not started yet.')),
      section('traffic-h', 'Revisions and traffic', revisions()),
      section('chart-h', 'Requests and 5xx per target group', chart()),
      section('tasks-h', 'Tasks', tasks()),
      section('hooks-h', 'Hooks', hooks()),
      section('audit-h', 'Audit trail', auditTable([...det.audit].reverse(), {text: 'Audit trail, newest first', hidden: true}, false)),
      section('events-h', 'Events', eventList()),
    );
    if (focusNext) {
      const el = ctx.main.querySelector(`[data-key="${CSS.escape(focusNext)}"]`) || document.getElementById('actions-h') || ctx.main.querySelector('h1');
      el?.focus();
      focusNext = null;
    }
  }

  loadDetails();
}

// listenerLink links a listener's URL. A listener bound to every address
// has no host in its URL ("http://:8080"): it is reached at the
// dashboard's host.
function listenerLink(u) {
  if (!u) return null;
  const host = location.hostname.includes(':') ? `[${location.hostname}]` : location.hostname;
  const href = u.replace(/^(\w+:\/\/)(:\d+)/, `$1${host}$2`);
  return h('a', {href}, href);
}

// sum5xx adds two series point by point.
function sum5xx(a, b) {
  const m = new Map();
  for (const [t, v] of [...a, ...b]) m.set(t, (m.get(t) || 0) + v);
  return [...m.entries()].sort((x, y) => x[0] - y[0]);
}

// actorName names an actor briefly.
function actorName(a) {
  return a ? (a.name || a.id || a.kind) : 'someone';
}
