// Command etcd is etcd's server at the release Kubernetes v1.35.4 is built
// against. etcd's own main package lives in a module that pins other
// versions of the libraries Kubernetes shares, so this module calls the
// server's entry point itself.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
