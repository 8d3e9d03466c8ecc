// Package lbserver is the `cutover lb` process: it runs an lb.Balancer,
// keeps the configuration last applied in DIR/config.json so that a
// restarted process serves it again without the control plane, and
// serves the admin API (lb.AdminPath*) on the unix socket
// DIR/admin.sock, which lb.Client speaks.
package lbserver
