// Command mkimage writes a FROM-scratch container image holding one static
// binary as a docker-archive tarball, which `ctr images import` loads into
// containerd. No Docker daemon and no registry take part: the tests build
// their images with it on a machine that has neither. The binary is the
// image's command, not its entrypoint, so that a container's command (a
// pod's args, an ECS command) replaces it whole, as with the Docker
// runtime's test images.
//
// Usage: mkimage -name REF -binary PATH -out TAR [-args ARG]...
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// argList collects a repeated flag.
type argList []string

func (a *argList) String() string     { return strings.Join(*a, " ") }
func (a *argList) Set(v string) error { *a = append(*a, v); return nil }

func main() {
	ref := flag.String("name", "", "image reference, e.g. cutover.local/pause:1")
	bin := flag.String("binary", "", "static binary to put at the image's command")
	at := flag.String("path", "", "path of the binary inside the image (default /<binary's base name>)")
	out := flag.String("out", "", "tarball to write")
	var args argList
	flag.Var(&args, "arg", "argument after the binary in the command (repeatable)")
	flag.Parse()
	if err := run(*ref, *bin, *at, *out, args); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func run(ref, bin, at, out string, args []string) error {
	if ref == "" || bin == "" || out == "" {
		return errors.New("-name, -binary and -out are required")
	}
	if at == "" {
		at = "/" + path.Base(bin)
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("image name %q: %w", ref, err)
	}
	layerTar, err := layerOf(bin, at)
	if err != nil {
		return err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return fmt.Errorf("layer: %w", err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return fmt.Errorf("append layer: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS = "linux"
	cfg.Architecture = runtime.GOARCH
	cfg.Config.Cmd = append([]string{at}, args...)
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return fmt.Errorf("set config: %w", err)
	}
	if err := tarball.WriteToFile(out, tag, img); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}

// layerOf returns an uncompressed layer holding the binary at path at,
// with its parent directories.
func layerOf(bin, at string) ([]byte, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, fmt.Errorf("read binary: %w", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := path.Dir(strings.TrimPrefix(at, "/"))
	var parts []string
	if dir != "." {
		parts = strings.Split(dir, "/")
	}
	for i := range parts {
		d := strings.Join(parts[:i+1], "/") + "/"
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755}); err != nil {
			return nil, err
		}
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(at, "/"), Mode: 0o755, Size: int64(len(data))}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
