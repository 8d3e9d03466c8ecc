package docker

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	goruntime "runtime"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
)

// pauseImage is the image of the task sandboxes, made once per driver
// from Config.PauseBinary: no image is ever pulled for it.
type pauseImage struct {
	mu  sync.Mutex
	ref string
}

// ensure returns the sandbox image, importing it first if needed.
func (p *pauseImage) ensure(ctx context.Context, d *Driver) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ref != "" {
		return p.ref, nil
	}
	entrypoint, err := json.Marshal(append([]string{"/pause"}, d.cfg.PauseArgs...))
	if err != nil {
		return "", err
	}
	ref, err := ImportBinary(ctx, d.cli, d.cfg.PauseBinary, "/pause", "cutover-pause", "ENTRYPOINT "+string(entrypoint))
	if err != nil {
		return "", fmt.Errorf("make the sandbox image: %w", unavailable(err))
	}
	p.ref = ref
	return ref, nil
}

// ImportBinary makes an image that holds only the executable binary, at
// inImage, and what it needs to run: for a dynamically linked binary,
// its ELF interpreter and shared libraries, copied from this host. The
// image is tagged repo:<hash of the binary and changes>, which is
// returned; an image of that tag already present is reused. changes are
// Dockerfile instructions applied to the image (e.g. ENTRYPOINT, ENV).
func ImportBinary(ctx context.Context, cli *client.Client, binary, inImage, repo string, changes ...string) (string, error) {
	sum, err := hashFile(binary, changes)
	if err != nil {
		return "", err
	}
	ref := repo + ":" + sum[:16]
	// One import of a ref at a time in this process: drivers created
	// together share the image instead of each importing a copy.
	mu, _ := imports.LoadOrStore(ref, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	if _, err := cli.ImageInspect(ctx, ref); err == nil {
		return ref, nil
	} else if !cerrdefs.IsNotFound(err) {
		return "", fmt.Errorf("inspect image %s: %w", ref, err)
	}
	files, err := sharedLibraries(binary)
	if err != nil {
		return "", err
	}
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(writeRootfs(pw, binary, inImage, files))
	}()
	defer func() { _ = pr.Close() }()
	resp, err := cli.ImageImport(ctx, image.ImportSource{Source: pr, SourceName: "-"}, ref, image.ImportOptions{Changes: changes})
	if err != nil {
		return "", fmt.Errorf("import image %s: %w", ref, err)
	}
	defer func() { _ = resp.Close() }()
	if err := jsonmessage.DisplayJSONMessagesStream(resp, io.Discard, 0, false, nil); err != nil {
		return "", fmt.Errorf("import image %s: %w", ref, err)
	}
	return ref, nil
}

// imports holds a *sync.Mutex per image ref being imported.
var imports sync.Map

// hashFile hashes a file's content and the changes.
func hashFile(name string, changes []string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	for _, c := range changes {
		_, _ = io.WriteString(h, "\x00"+c)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeRootfs writes a root file system as a tar stream: binary at
// inImage and each host file at its own path.
func writeRootfs(w io.Writer, binary, inImage string, files []string) error {
	tw := tar.NewWriter(w)
	dirs := map[string]bool{"/": true}
	add := func(src, dst string, mode int64) error {
		for _, dir := range parents(dst) {
			if !dirs[dir] {
				dirs[dir] = true
				if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir[1:] + "/", Mode: 0o755}); err != nil {
					return err
				}
			}
		}
		f, err := os.Open(src) // follows symlinks: the image gets the file
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: dst[1:], Mode: mode, Size: fi.Size()}); err != nil {
			return err
		}
		_, err = io.Copy(tw, f)
		return err
	}
	if err := add(binary, inImage, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		if err := add(f, f, 0o755); err != nil {
			return err
		}
	}
	// Programs expect a /tmp.
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777}); err != nil {
		return err
	}
	return tw.Close()
}

// parents returns the directories above the absolute path p, outermost
// first, without "/".
func parents(p string) []string {
	var out []string
	for dir := path.Dir(p); dir != "/" && dir != "."; dir = path.Dir(dir) {
		out = append([]string{dir}, out...)
	}
	return out
}

// sharedLibraries returns the host paths of the ELF interpreter and the
// shared libraries a binary needs, transitively; none for a static one.
func sharedLibraries(binary string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	var visit func(file string) error
	visit = func(file string) error {
		f, err := elf.Open(file)
		if err != nil {
			return fmt.Errorf("read %s: %w", file, err)
		}
		defer func() { _ = f.Close() }()
		for _, p := range f.Progs {
			if p.Type != elf.PT_INTERP {
				continue
			}
			b, err := io.ReadAll(p.Open())
			if err != nil {
				return fmt.Errorf("read interpreter of %s: %w", file, err)
			}
			if interp := string(trimNul(b)); !seen[interp] {
				seen[interp] = true
				out = append(out, interp)
			}
		}
		libs, err := f.ImportedLibraries()
		if err != nil {
			return fmt.Errorf("read libraries of %s: %w", file, err)
		}
		for _, lib := range libs {
			p, err := findLibrary(lib)
			if err != nil {
				return fmt.Errorf("%s needs %w", file, err)
			}
			if seen[p] {
				continue
			}
			seen[p] = true
			out = append(out, p)
			if err := visit(p); err != nil {
				return err
			}
		}
		return nil
	}
	return out, visit(binary)
}

// libraryDirs are searched, in order, for shared libraries.
var libraryDirs = func() []string {
	triplet := map[string]string{"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}[goruntime.GOARCH]
	return []string{"/lib/" + triplet, "/usr/lib/" + triplet, "/lib64", "/usr/lib64", "/lib", "/usr/lib"}
}()

// findLibrary finds a shared library by name in libraryDirs.
func findLibrary(name string) (string, error) {
	if filepath.IsAbs(name) {
		return name, nil
	}
	for _, dir := range libraryDirs {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("shared library %s, found in none of %v", name, libraryDirs)
}

func trimNul(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}
