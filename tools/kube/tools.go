//go:build tools

// Package tools records the Kubernetes commands build.sh builds, so that
// go.mod and go.sum pin every module they need. The build tag keeps the
// file out of any build: a main package cannot be imported for real.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
