package controller_test

import "github.com/cutover/cutover/internal/runtime"

func fakeSpec(id string) runtime.TaskSpec {
	return runtime.TaskSpec{ID: id, Containers: []runtime.ContainerSpec{{Name: "app", Command: []string{"x"}, Essential: true}}}
}
