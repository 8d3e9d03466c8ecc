package kubetest

import (
	"sync"
	"testing"

	"github.com/cutover/cutover/internal/runtime/runtimetest"
)

// AppImage is the conformance suite's test app (runtimetest.AppMain) as an
// image in the test cluster: a static build of runtimetest/testapp alone
// in an image FROM scratch, at AppPath. Pods use it with
// imagePullPolicy Never: no registry holds it.
const AppImage = "cutover.local/testapp:1"

// AppPath is where the test app is in its image (as in dockertest).
const AppPath = "/testapp"

var app struct {
	once sync.Once
	err  error
}

// App builds the test app's image and imports it into the cluster's
// containerd, once per test process, and returns its name (AppImage).
func App(t testing.TB) string {
	t.Helper()
	Cluster(t)
	app.once.Do(func() {
		app.err = runtimetest.WithAppBinary(func(bin string) error {
			return importImage(AppImage, bin, AppPath)
		})
	})
	if app.err != nil {
		t.Fatalf("build the test app image: %v", app.err)
	}
	return AppImage
}

// ImportImage puts the static binary bin alone into a FROM-scratch image
// named name (its command: pathInImage) and imports it into the test
// cluster's containerd, without Docker or a registry. Use a tag other
// than latest and imagePullPolicy Never or IfNotPresent.
func ImportImage(t testing.TB, name, bin, pathInImage string) {
	t.Helper()
	Cluster(t)
	if err := importImage(name, bin, pathInImage); err != nil {
		t.Fatalf("import image %s: %v", name, err)
	}
}

func importImage(name, bin, pathInImage string) error {
	_, _, err := script("image.sh", name, bin, pathInImage)
	return err
}
