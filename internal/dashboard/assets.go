package dashboard

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
)

// web holds the page and its assets: web/index.html is the page at
// Path, web/assets/* are served under Path + "assets/".
//
//go:embed web
var web embed.FS

// indexFile is the page served at Path.
const indexFile = "index.html"

// assets serves the embedded files, each with a strong ETag of its
// content: browsers revalidate (Cache-Control: no-cache) and get a 304
// until the binary changes.
type assets struct {
	fsys  fs.FS
	etags map[string]string // by file name, relative to web
}

// mustAssets indexes the embedded files.
func mustAssets() *assets {
	fsys, err := fs.Sub(web, "web")
	if err != nil {
		panic(fmt.Sprintf("dashboard assets: %v", err))
	}
	a := &assets{fsys: fsys, etags: map[string]string{}}
	err = fs.WalkDir(fsys, ".", func(name string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.etags[name] = `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("dashboard assets: %v", err))
	}
	if _, ok := a.etags[indexFile]; !ok {
		panic("dashboard assets: no " + indexFile)
	}
	return a
}

// serve answers the file name (relative to Path; empty for the page).
// Directories and unknown names are a 404.
func (a *assets) serve(w http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "UnknownOperationException", "The dashboard's pages take GET requests.")
		return
	}
	if name == "" {
		name = indexFile
	}
	etag, ok := a.etags[name]
	if !ok {
		writeError(w, http.StatusNotFound, "UnknownOperationException", "No such dashboard page.")
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFileFS(w, r, a.fsys, name)
}
