package process

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// rotatingFile is an io.Writer to a log file that is rotated once it
// would grow past max bytes: the file is renamed to path+".1" (replacing
// the previous one) and a new file is started. A log therefore never
// takes more than about 2*max bytes. It is used by one goroutine.
type rotatingFile struct {
	path string
	max  int64
	f    *os.File
	size int64
}

// openRotatingFile opens (appending to) or creates the log file at path.
func openRotatingFile(path string, max int64) (*rotatingFile, error) {
	r := &rotatingFile{path: path, max: max}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

// open opens the current file and records its size.
func (r *rotatingFile) open() error {
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("stat log: %w", err)
	}
	r.f, r.size = f, fi.Size()
	return nil
}

// Write appends p, rotating first whenever the current file is full.
func (r *rotatingFile) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if r.size >= r.max {
			if err := r.rotate(); err != nil {
				return written, err
			}
		}
		chunk := p[:min(int64(len(p)), r.max-r.size)]
		n, err := r.f.Write(chunk)
		written += n
		r.size += int64(n)
		if err != nil {
			return written, fmt.Errorf("write log: %w", err)
		}
		p = p[n:]
	}
	return written, nil
}

// rotate moves the current file to path+".1" and starts a new one.
func (r *rotatingFile) rotate() error {
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("close log: %w", err)
	}
	if err := os.Rename(r.path, r.path+".1"); err != nil {
		return fmt.Errorf("rotate log: %w", err)
	}
	return r.open()
}

// Close closes the current file.
func (r *rotatingFile) Close() error { return r.f.Close() }

// maxTailAttempts bounds the retries of tailFiles when a rotation
// happens while it opens the files.
const maxTailAttempts = 5

// tailFiles writes to w the last maxBytes bytes (all if maxBytes is 0) of
// the concatenation of files, oldest first; missing files count as
// empty. Files are opened newest first, and if a rotation moved a file
// between two opens (two open files are the same inode) it starts over,
// so the output is a consistent snapshot.
func tailFiles(w io.Writer, files []string, maxBytes int64) error {
	for range maxTailAttempts {
		opened, sizes, rotated, err := openSnapshot(files)
		if err != nil {
			return err
		}
		if rotated {
			closeAll(opened)
			continue
		}
		err = copyTail(w, opened, sizes, maxBytes)
		closeAll(opened)
		return err
	}
	return errors.New("log files kept rotating while being read")
}

// openSnapshot opens files newest first and records their sizes. A missing
// file is returned as nil with size 0. rotated reports whether two of the
// opened files are the same file.
func openSnapshot(files []string) (opened []*os.File, sizes []int64, rotated bool, err error) {
	opened = make([]*os.File, len(files))
	sizes = make([]int64, len(files))
	inodes := make(map[uint64]bool, len(files))
	for i := len(files) - 1; i >= 0; i-- {
		f, err := os.Open(files[i])
		if isNotExist(err) {
			continue
		}
		if err != nil {
			closeAll(opened)
			return nil, nil, false, fmt.Errorf("open log: %w", err)
		}
		opened[i] = f
		fi, err := f.Stat()
		if err != nil {
			closeAll(opened)
			return nil, nil, false, fmt.Errorf("stat log: %w", err)
		}
		sizes[i] = fi.Size()
		if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
			if inodes[sys.Ino] {
				rotated = true
			}
			inodes[sys.Ino] = true
		}
	}
	return opened, sizes, rotated, nil
}

// copyTail copies the last maxBytes bytes of the files (up to the sizes
// seen when they were opened) to w.
func copyTail(w io.Writer, files []*os.File, sizes []int64, maxBytes int64) error {
	var total int64
	for _, s := range sizes {
		total += s
	}
	skip := int64(0)
	if maxBytes > 0 && total > maxBytes {
		skip = total - maxBytes
	}
	for i, f := range files {
		if f == nil {
			continue
		}
		if skip >= sizes[i] {
			skip -= sizes[i]
			continue
		}
		if _, err := io.Copy(w, io.NewSectionReader(f, skip, sizes[i]-skip)); err != nil {
			return fmt.Errorf("copy log: %w", err)
		}
		skip = 0
	}
	return nil
}

// closeAll closes the non-nil files.
func closeAll(files []*os.File) {
	for _, f := range files {
		if f != nil {
			_ = f.Close()
		}
	}
}
