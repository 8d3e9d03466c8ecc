// Package testfs gives tests real filesystems that fail the way disks
// do: a small tmpfs that fills up (ENOSPC), and an ext4 image mounted
// with errors=remount-ro that the kernel turns read-only under open
// files (EROFS), as it does after a disk error. Both need mount(2) (root
// with CAP_SYS_ADMIN); without it the test is skipped, except when the
// CI variable is set, where it fails: CI must run these tests.
//
// A plain `mount -o remount,ro` cannot stand in for the ext4 case: Linux
// refuses it (EBUSY) while any file on the filesystem is open for
// writing, which the store's always is.
package testfs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// unavailable skips the test, or fails it under CI.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI is set: this test must run)")
	}
	t.Skip(msg)
}

// run runs a command, returning its combined output in the error.
func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// Tmpfs mounts a tmpfs of size bytes on a new directory, unmounted (lazily,
// in case a process still holds a file) at the end of the test.
func Tmpfs(t testing.TB, size int64) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		unavailable(t, "mount a tmpfs: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// Fill writes a file in dir until the filesystem is full, and returns
// its path: removing it frees the space.
func Fill(t testing.TB, dir string) string {
	t.Helper()
	name := filepath.Join(dir, "filler")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatalf("create filler: %v", err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for n := 0; n < 1<<20; n++ { // bounded: a 64 GiB filesystem at most
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill %s: %v", dir, err)
			}
			break
		}
	}
	// The last bytes: a page-sized write may fit where 64 KiB did not.
	for n := 0; n < 1<<10; n++ {
		if _, err := f.Write(buf[:512]); err != nil {
			break
		}
	}
	return name
}

// Ext4 is an ext4 filesystem on a loop device, mounted with
// errors=remount-ro.
type Ext4 struct {
	t     testing.TB
	image string
	// Dir is where it is mounted.
	Dir string
}

// NewExt4 makes an ext4 image of size bytes (no blocks reserved for
// root) and mounts it; it is unmounted at the end of the test.
func NewExt4(t testing.TB, size int64) *Ext4 {
	t.Helper()
	for _, tool := range []string{"mkfs.ext4", "e2fsck"} {
		if _, err := exec.LookPath(tool); err != nil {
			unavailable(t, "%s not found (Debian's e2fsprogs)", tool)
		}
	}
	base := t.TempDir()
	fs := &Ext4{t: t, image: filepath.Join(base, "ext4.img"), Dir: filepath.Join(base, "mnt")}
	if err := os.Mkdir(fs.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fs.image, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(fs.image, size); err != nil {
		t.Fatal(err)
	}
	if err := run("mkfs.ext4", "-q", "-F", "-m", "0", fs.image); err != nil {
		t.Fatal(err)
	}
	if err := fs.mount(); err != nil {
		unavailable(t, "mount an ext4 image: %v", err)
	}
	t.Cleanup(func() { _ = run("umount", "-l", fs.Dir) })
	return fs
}

func (fs *Ext4) mount() error {
	return run("mount", "-o", "loop,errors=remount-ro", fs.image, fs.Dir)
}

// ForceReadOnly makes the kernel report an error on the filesystem,
// which errors=remount-ro turns into a read-only filesystem at once,
// files open for writing included: every write then fails with EROFS.
func (fs *Ext4) ForceReadOnly() {
	fs.t.Helper()
	out, err := exec.Command("findmnt", "-n", "-o", "SOURCE", fs.Dir).Output()
	if err != nil {
		fs.t.Fatalf("findmnt %s: %v", fs.Dir, err)
	}
	dev := filepath.Base(strings.TrimSpace(string(out)))
	trigger := filepath.Join("/sys/fs/ext4", dev, "trigger_fs_error")
	if err := os.WriteFile(trigger, []byte("testfs: forced read-only\n"), 0o200); err != nil {
		unavailable(fs.t, "trigger an ext4 error: %v", err)
	}
	probe := filepath.Join(fs.Dir, ".probe")
	if err := os.WriteFile(probe, nil, 0o600); !errors.Is(err, syscall.EROFS) {
		fs.t.Fatalf("after an ext4 error with errors=remount-ro, creating a file gave %v, want EROFS", err)
	}
}

// Repair does what an operator does after a disk error: unmount (every
// file on the filesystem must be closed), check with e2fsck, and mount
// again, read-write.
func (fs *Ext4) Repair() {
	fs.t.Helper()
	if err := run("umount", fs.Dir); err != nil {
		fs.t.Fatal(err)
	}
	// e2fsck exits 1 when it fixed something (the error flag, at
	// least), 0 when it found nothing to fix.
	if err := exec.Command("e2fsck", "-f", "-y", fs.image).Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() > 1 {
			fs.t.Fatalf("e2fsck %s: %v", fs.image, err)
		}
	}
	if err := fs.mount(); err != nil {
		fs.t.Fatal(err)
	}
}
