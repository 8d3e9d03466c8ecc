// Package docker is the docker runtime: it runs each task of a cluster
// tagged cutover:runtime=docker as Docker containers, one per container
// definition, through the Docker Engine API.
//
// A task is a sandbox container, which holds the task's network
// namespace and publishes its ports on the host, and one container per
// container definition, joined to that namespace so that they reach each
// other on localhost (like awsvpc). The sandbox runs the cutover binary
// itself (PauseMain), imported as a local image: nothing is pulled for
// it. Images of the task definition are pulled only when absent.
//
// The driver keeps no files: each container carries labels naming its
// namespace, task and container, and the sandbox records the task spec,
// so that a restarted control plane finds every task (List), finishes
// starting those left half-started and stops those whose essential
// container exited. Docker runs the health checks and keeps the logs.
package docker
