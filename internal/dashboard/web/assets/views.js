// views.js: the sign-in form, and the lists: clusters, the services of a
// cluster, and one service with its deployments and audit trail. A view
// is a function (ctx, ...route parameters) that renders into ctx.main and
// registers its timers and streams with ctx.onLeave.

import {call, chunks, cutover, listAll, signIn, subscribe} from './api.js';
import {
  actorText, badge, debounce, dl, h, lastPart, links, section, showError, table, time,
} from './dom.js';

// Refresh periods of the lists, besides the event stream.
const LIST_REFRESH_MS = 30000;

// live refreshes a view on every event of the stream opened with
// params (debounced) and every period; at once too unless later is set.
function live(ctx, load, params, later = false) {
  const refresh = debounce(load, 400);
  ctx.onLeave(subscribe(params, refresh));
  const timer = setInterval(refresh, LIST_REFRESH_MS);
  ctx.onLeave(() => {
    clearInterval(timer);
    refresh.cancel();
  });
  if (!later) load();
}

// guarded returns a view's load that shows its error (once per kind)
// instead of throwing.
export function guarded(ctx, what, fn) {
  let lastError = '';
  return async () => {
    try {
      await fn();
      lastError = '';
    } catch (err) {
      if (ctx.left() || err.status === 401) return; // the sign-in form is shown
      const key = `${err.type}:${err.message}`;
      if (key !== lastError) showError(err, what);
      lastError = key;
    }
  };
}

// signInView is the sign-in form; done is called once signed in.
export function signInView(ctx, done) {
  ctx.setTitle('Sign in', []);
  const id = h('input', {id: 'access-key-id', name: 'accessKeyId', autocomplete: 'username', required: true, spellcheck: 'false'});
  const secret = h('input', {id: 'secret-access-key', name: 'secretAccessKey', type: 'password', autocomplete: 'current-password', required: true});
  const button = h('button', {type: 'submit', class: 'primary'}, 'Sign in');
  const form = h('form', {class: 'signin', onsubmit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    try {
      await signIn(id.value.trim(), secret.value);
      secret.value = '';
      done();
    } catch (err) {
      showError(err, 'Sign-in');
      secret.value = '';
      secret.focus();
    } finally {
      button.disabled = false;
    }
  }},
  h('p', {}, 'This server has access keys: sign in with one of them. Your actions are recorded under its name.'),
  h('div', {class: 'field'}, h('label', {for: 'access-key-id'}, 'Access key ID'), id),
  h('div', {class: 'field'}, h('label', {for: 'secret-access-key'}, 'Secret access key'), secret),
  button);
  ctx.render(h('h1', {tabindex: '-1'}, 'Sign in to cutover'), form);
  id.focus();
}

// clustersView lists the clusters.
export function clustersView(ctx) {
  ctx.setTitle('Clusters', []);
  const load = guarded(ctx, 'Loading the clusters', async () => {
    const arns = await listAll('ListClusters', {}, 'clusterArns');
    const clusters = [];
    for (const part of chunks(arns, 100)) {
      clusters.push(...(await call('DescribeClusters', {clusters: part})).clusters);
    }
    clusters.sort((a, b) => a.clusterName.localeCompare(b.clusterName));
    if (ctx.left()) return;
    ctx.render(
      h('h1', {tabindex: '-1'}, 'Clusters'),
      table('Clusters', ['Cluster', 'Status', 'Active services', 'Running tasks', 'Pending tasks'], clusters, (c) => [
        h('a', {href: links.cluster(c.clusterName), 'data-key': `cluster:${c.clusterName}`}, c.clusterName),
        badge(c.status), c.activeServicesCount ?? 0, c.runningTasksCount ?? 0, c.pendingTasksCount ?? 0,
      ], 'No clusters yet. Create one with: aws ecs create-cluster --cluster-name NAME'));
  });
  live(ctx, load, [['detailType', 'ECS Deployment State Change'], ['detailType', 'ECS Service Action']]);
}

// describeServices describes services of a cluster, ten at a time.
async function describeServices(cluster, names) {
  const out = [];
  for (const part of chunks(names, 10)) {
    out.push(...(await call('DescribeServices', {cluster, services: part})).services);
  }
  return out;
}

// describeDeployments describes deployments by ARN, twenty at a time,
// into a map by ARN.
async function describeDeployments(arns) {
  const out = new Map();
  for (const part of chunks(arns, 20)) {
    for (const d of (await call('DescribeServiceDeployments', {serviceDeploymentArns: part})).serviceDeployments) {
      out.set(d.serviceDeploymentArn, d);
    }
  }
  return out;
}

// deploymentCell shows a deployment's status and stage, linked.
function deploymentCell(arn, d) {
  if (!arn) return '—';
  return h('a', {href: links.deployment(arn), 'data-key': `deployment:${arn}`},
    d ? badge(d.status) : lastPart(arn), d && d.lifecycleStage ? ` ${d.lifecycleStage}` : '');
}

// strategyOf is a deployment configuration's strategy.
function strategyOf(cfg) {
  return (cfg && cfg.strategy) || 'ROLLING';
}

// servicesView lists the services of a cluster.
export function servicesView(ctx, cluster) {
  ctx.setTitle(`Cluster ${cluster}`, [{text: cluster}]);
  const load = guarded(ctx, 'Loading the services', async () => {
    const arns = await listAll('ListServices', {cluster}, 'serviceArns');
    const services = await describeServices(cluster, arns.map(lastPart));
    services.sort((a, b) => a.serviceName.localeCompare(b.serviceName));
    const current = await describeDeployments(services.map((s) => s.currentServiceDeployment).filter(Boolean));
    if (ctx.left()) return;
    ctx.render(
      h('h1', {tabindex: '-1'}, 'Services of cluster ', h('span', {class: 'name'}, cluster)),
      table('Services', ['Service', 'Status', 'Desired', 'Running', 'Pending', 'Strategy', 'Current deployment'], services, (s) => [
        h('a', {href: links.service(cluster, s.serviceName), 'data-key': `service:${s.serviceName}`}, s.serviceName),
        badge(s.status), s.desiredCount ?? 0, s.runningCount ?? 0, s.pendingCount ?? 0,
        strategyOf(s.deploymentConfiguration),
        deploymentCell(s.currentServiceDeployment, current.get(s.currentServiceDeployment)),
      ], 'No services in this cluster.'));
  });
  live(ctx, load, [['detailType', 'ECS Deployment State Change'], ['detailType', 'ECS Service Action'],
    ['detailType', 'ECS Task State Change']]);
}

// auditTable shows audit records, newest first.
export function auditTable(records, caption, withDeployment) {
  const headers = ['Time', 'Who', 'Action'];
  if (withDeployment) headers.push('Deployment');
  headers.push('Hook', 'Detail');
  return table(caption, headers, records, (r) => {
    const cells = [time(r.time), h('span', {class: 'actor'}, actorText(r.actor)), r.action];
    if (withDeployment) {
      cells.push(r.serviceDeploymentArn ? h('a', {href: links.deployment(r.serviceDeploymentArn)}, lastPart(r.serviceDeploymentArn)) : '—');
    }
    cells.push(r.hookId ? h('span', {class: 'hook-id'}, r.hookId) : '—', r.detail || '—');
    return cells;
  }, 'Nobody has acted on this yet.');
}

// auditRecords lists a service's audit trail, newest first, up to
// limit records.
async function auditRecords(cluster, service, limit) {
  const all = [];
  let nextToken;
  do {
    const resp = await cutover('ListAuditRecords', {cluster, service, maxResults: 1000, ...(nextToken ? {nextToken} : {})});
    all.push(...resp.auditRecords);
    nextToken = resp.nextToken;
  } while (nextToken && all.length < 20000);
  return all.reverse().slice(0, limit);
}

// serviceView shows one service: its state, its deployments newest
// first, its audit trail and its recent ECS events.
export function serviceView(ctx, cluster, name) {
  ctx.setTitle(`Service ${name}`, [{text: cluster, href: links.cluster(cluster)}, {text: name}]);
  let serviceArn = null;
  const load = guarded(ctx, 'Loading the service', async () => {
    const [svc] = await describeServices(cluster, [name]);
    if (!svc) throw Object.assign(new Error(`There is no service ${name} in cluster ${cluster}.`), {type: 'ServiceNotFoundException'});
    serviceArn = svc.serviceArn;
    const briefs = (await call('ListServiceDeployments', {cluster, service: name, maxResults: 100})).serviceDeployments;
    const described = await describeDeployments(briefs.slice(0, 20).map((b) => b.serviceDeploymentArn));
    const audit = await auditRecords(cluster, name, 200);
    if (ctx.left()) return;
    const lb = (svc.loadBalancers || [])[0];
    ctx.render(
      h('h1', {tabindex: '-1'}, 'Service ', h('span', {class: 'name'}, name)),
      dl([
        ['Status', badge(svc.status)],
        ['Task definition', lastPart(svc.taskDefinition)],
        ['Tasks', `${svc.runningCount ?? 0} running, ${svc.pendingCount ?? 0} pending, ${svc.desiredCount ?? 0} desired`],
        ['Strategy', strategyOf(svc.deploymentConfiguration)],
        ['Bake time', svc.deploymentConfiguration?.bakeTimeInMinutes != null ? `${svc.deploymentConfiguration.bakeTimeInMinutes} min` : null],
        ['Current deployment', deploymentCell(svc.currentServiceDeployment, described.get(svc.currentServiceDeployment))],
        ['Load balancer', lb ? `${lb.containerName}:${lb.containerPort} behind target group ${lb.targetGroupArn ? lb.targetGroupArn.replace(/^.*targetgroup\//, '') : '—'}` : null],
      ]),
      section('deployments-h', 'Deployments',
        table({text: 'Deployments, newest first', hidden: true}, ['Deployment', 'Status', 'Stage', 'Created', 'Finished', 'Target revision', 'Reason'],
          briefs, (b) => {
            const d = described.get(b.serviceDeploymentArn);
            return [
              h('a', {href: links.deployment(b.serviceDeploymentArn), 'data-key': `deployment:${b.serviceDeploymentArn}`}, lastPart(b.serviceDeploymentArn)),
              badge(b.status), d?.lifecycleStage || '—', time(b.createdAt), time(b.finishedAt),
              lastPart(b.targetServiceRevisionArn) || '—', b.statusReason || '—',
            ];
          }, 'No deployments yet.')),
      section('audit-h', 'Audit trail', auditTable(audit, {text: 'Audit trail, newest first', hidden: true}, true)),
      section('service-events-h', 'Recent service events',
        table({text: 'Service events, newest first', hidden: true}, ['Time', 'Message'], (svc.events || []).slice(0, 15),
          (e) => [time(e.createdAt), e.message], 'No events.')),
    );
  });
  // The stream is filtered by the service's ARN once it is known; until
  // then the first load runs on its own.
  (async () => {
    await load();
    if (ctx.left() || !serviceArn) return;
    live(ctx, load, [['resource', serviceArn]], true);
  })();
}

// notFoundView is a route that does not exist.
export function notFoundView(ctx) {
  ctx.setTitle('Not found', []);
  ctx.render(h('h1', {tabindex: '-1'}, 'Page not found'),
    h('p', {}, 'There is nothing at this address. ', h('a', {href: links.clusters()}, 'See the clusters'), '.'));
}
