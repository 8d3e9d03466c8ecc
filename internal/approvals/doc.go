// Package approvals asks people to approve a service deployment that
// waits at a PAUSE lifecycle hook, and acts on their answer.
//
// It follows the event log (package events) as sinks. When a pause hook
// starts AWAITING_ACTION it posts a message to a Slack channel with
// Approve and Roll back buttons, and POSTs a signed JSON message with
// one-time approve and roll back URLs to each configured link webhook
// (for chat tools other than Slack). When the hook is resolved — by a
// button, a link, the CLI, the dashboard or its timeout — or the
// deployment ends, the Slack message is updated to say what happened and
// who decided, so that nobody clicks a stale button.
//
// Answers come back over HTTP: Slack's interaction requests at
// SlackPath, verified with the app's signing secret and checked against
// an allow-list of Slack users, and the links at LinksPath, whose tokens
// are HMAC-signed, expire and work once. Both act through the API's
// ContinueServiceDeployment (interface API) as the person who answered,
// so the API's checks apply and the audit trail names them.
//
// What the package keeps — which Slack message belongs to which hook,
// the nonces of the links sent and used — lives in the server's store,
// so that a restart neither posts twice nor forgets a message to update.
package approvals
