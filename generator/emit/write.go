package emit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
)

// MarkerFile is written into every output directory beside manifest.json. It binds the
// directory to its manifest (it holds the manifest's sha256), so a directory is replaced only
// when midobake can prove it wrote it: a project's own manifest.json never matches.
const MarkerFile = ".midobake-output"

const markerPrefix = "midobake output directory; render replaces it whole. manifest.json sha256 "

// CleanupError reports leftovers after a successful write: the new output is in place, but
// the previous one could not be removed (the next render of the same directory retries).
type CleanupError struct{ Path string }

func (e *CleanupError) Error() string {
	return fmt.Sprintf("the new output is in place, but the previous one could not be removed from %s; the next render retries", e.Path)
}

// Write puts the tree into dir atomically: it is written to a new directory beside dir,
// synced to disk, and then swapped in, so on any error (or power cut) dir keeps its previous
// content. A dir that exists must be an earlier midobake output or empty: midobake never
// replaces a directory it did not write. A dir that is a symbolic link stays one: its target
// is what is replaced.
func (t *Tree) Write(dir string) (err error) {
	_, err = t.WriteKeeping(dir)
	return err
}

// WriteKeeping is Write, and says which files of the user's it kept: files in the previous
// output that its manifest does not list (a Packer source block written beside the generated
// builds, notes) are never deleted silently. Each is carried into the new output as it is (a
// hard link: the same file), unless the new output has a file of that name, which is an
// error naming it.
func (t *Tree) WriteKeeping(dir string) (kept []string, err error) {
	abs, err := outputPath(dir)
	if err != nil {
		return nil, err
	}
	parent := filepath.Dir(abs)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	unlock, err := lockOutput(abs)
	if err != nil {
		return nil, err
	}
	defer unlock()
	removeLeftovers(abs)
	exists, err := checkReplaceable(abs)
	if err != nil {
		return nil, err
	}
	var users []string
	if exists {
		if users, err = userFiles(abs); err != nil {
			return nil, err
		}
		for _, u := range users {
			if _, clash := t.Get(u); clash || u == MarkerFile {
				return nil, fmt.Errorf("%s in %s is not midobake's (the previous output's manifest does not list it), and the new output has a file of that name: move it out of %s, then render again", u, dir, dir)
			}
		}
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(abs)+".new-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	prev := ""
	if exists {
		prev = abs
	}
	if err := t.writeFiles(tmp, prev); err != nil {
		return nil, err
	}
	if exists {
		if err := keepFiles(abs, tmp, users); err != nil {
			return nil, err
		}
	}
	if err := syncFS(tmp); err != nil {
		return nil, err
	}
	if !exists {
		if err := os.Rename(tmp, abs); err != nil {
			return nil, err
		}
		return nil, syncDirs(parent)
	}
	if err := swap(tmp, abs); err != nil {
		return nil, fmt.Errorf("replace %s: %w", dir, err)
	}
	if err := syncDirs(parent); err != nil {
		return nil, err
	}
	// tmp now holds the previous output.
	if os.RemoveAll(tmp) != nil {
		return users, &CleanupError{Path: tmp}
	}
	return users, nil
}

// userFiles lists the files and links of an output that its manifest does not list (and are
// neither the manifest nor the marker): the user's, slash-separated and sorted.
func userFiles(dir string) ([]string, error) {
	ours := map[string]bool{"manifest.json": true, MarkerFile: true}
	if manifest, err := readSmall(filepath.Join(dir, "manifest.json")); err == nil {
		var m struct {
			Files []struct {
				Path string `json:"path"`
			} `json:"files"`
		}
		if json.Unmarshal(manifest, &m) == nil {
			for _, f := range m.Files {
				ours[f.Path] = true
			}
		}
	}
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); !ours[rel] {
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// keepFiles carries the user's files from the previous output into the new one: hard links
// (the same files, nothing copied), symbolic links made anew (synced with the new tree).
func keepFiles(from, to string, files []string) error {
	for _, f := range files {
		src, dst := filepath.Join(from, filepath.FromSlash(f)), filepath.Join(to, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		st, err := os.Lstat(src)
		if err != nil {
			return err
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			target, rerr := os.Readlink(src)
			if rerr != nil {
				return rerr
			}
			err = os.Symlink(target, dst)
		} else {
			err = os.Link(src, dst)
		}
		if err != nil {
			return fmt.Errorf("keeping %s, which is not midobake's: %w", f, err)
		}
	}
	return nil
}

// outputPath is dir made absolute, through a symbolic link if dir is one.
func outputPath(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if st, err := os.Lstat(abs); err == nil && st.Mode()&os.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return "", fmt.Errorf("%s is a symbolic link that leads nowhere: %w", dir, err)
		}
		return target, nil
	}
	return abs, nil
}

// lockOutput keeps two renders into one directory from interleaving (and one from removing
// the other's work as a leftover). It locks the parent directory itself, so nothing is left
// behind.
func lockOutput(abs string) (func(), error) {
	f, err := os.Open(filepath.Dir(abs))
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// removeLeftovers removes what an interrupted render left beside abs: its new-* directories
// (killed before the swap) and previous outputs it could not remove. Under the lock, nobody
// else is writing them.
func removeLeftovers(abs string) {
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(abs), "."+filepath.Base(abs)+".new-*"))
	for _, d := range left {
		os.RemoveAll(d)
	}
}

// writeFiles writes every file under dir: directories first, in order, then the files by a
// few workers, since on a slow disk most of the time is spent waiting in the kernel; the
// marker last. Nothing is synced here: the caller syncs the whole tree before the swap.
// writeFiles writes the tree into dir. A file that the previous output prev (midobake's, as
// checkReplaceable proved) has with the same content and mode, and nobody else links to, is
// linked from there instead of written: a re-render writes only what changed, and removing
// the previous output after the swap then frees only that.
func (t *Tree) writeFiles(dir, prev string) error {
	paths := t.Paths()
	made := map[string]bool{dir: true}
	for _, p := range paths {
		d := filepath.Dir(filepath.Join(dir, filepath.FromSlash(p)))
		if !made[d] {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
			for x := d; !made[x]; x = filepath.Dir(x) {
				made[x] = true
			}
		}
	}
	work := make(chan OutputFile)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				if prev != "" && linkUnchanged(prev, dir, f) {
					continue
				}
				if err := writeOne(dir, f); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i, p := range paths {
		work <- t.files[p]
		if t.OnWrite != nil {
			t.OnWrite(i+1, len(paths))
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	if m, ok := t.files["manifest.json"]; ok {
		if err := writeOne(dir, fileOf(MarkerFile, 0o644, []byte(markerPrefix+m.SHA256()+"\n"))); err != nil {
			return err
		}
	}
	return nil
}

// Durability, in one order: the whole new tree reaches the disk (one syncfs of its file
// system, not an fsync per file: 20,000 of them cost most of a large render), then the swap,
// then the parent directory that records the swap. A power cut at any point leaves the
// previous output or the complete new one. Variables, so that a test can watch the order.
var (
	syncFS   = syncTree
	swap     = exchange
	syncDirs = syncDir
)

func writeOne(dir string, f OutputFile) error {
	target := filepath.Join(dir, filepath.FromSlash(f.Path))
	if f.Link != "" {
		return os.Symlink(f.Link, target)
	}
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.Mode)
	if err != nil {
		return err
	}
	if _, err := f.WriteTo(out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// linkUnchanged links f's file in the previous output prev into dir when it is a regular
// file of f's mode and content that no other name links to (a user's hard link elsewhere
// must not come to share the new output's file); it reports whether it did.
func linkUnchanged(prev, dir string, f OutputFile) bool {
	if f.Link != "" {
		return false
	}
	old := filepath.Join(prev, filepath.FromSlash(f.Path))
	st, err := os.Lstat(old)
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm() != f.Mode.Perm() || st.Size() != int64(f.Size()) {
		return false
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); !ok || sys.Nlink != 1 {
		return false
	}
	in, err := os.Open(old)
	if err != nil {
		return false
	}
	defer in.Close()
	same := &sameAs{r: in}
	if _, err := f.WriteTo(same); err != nil || !same.equal() {
		return false
	}
	return os.Link(old, filepath.Join(dir, filepath.FromSlash(f.Path))) == nil
}

// sameAs compares what is written to it with what r holds, without holding either.
type sameAs struct {
	r    io.Reader
	buf  []byte
	diff bool
}

func (s *sameAs) Write(p []byte) (int, error) {
	if s.diff {
		return len(p), nil
	}
	if cap(s.buf) < len(p) {
		s.buf = make([]byte, len(p))
	}
	b := s.buf[:len(p)]
	if _, err := io.ReadFull(s.r, b); err != nil || !bytes.Equal(b, p) {
		s.diff = true
	}
	return len(p), nil
}

// equal: everything written matched, and r holds nothing more.
func (s *sameAs) equal() bool {
	if s.diff {
		return false
	}
	var one [1]byte
	n, _ := s.r.Read(one[:])
	return n == 0
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// checkReplaceable says whether dir exists, and refuses a directory midobake cannot prove it
// wrote: one that is not empty and has neither a marker that matches its manifest nor (an
// output of a version before the marker) a midobake manifest whose files are all there.
func checkReplaceable(dir string) (exists bool, err error) {
	st, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !st.IsDir() {
		return false, fmt.Errorf("%s exists and is not a directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	if len(entries) == 0 {
		return true, nil
	}
	if why := notOurs(dir); why != "" {
		return false, fmt.Errorf("%s is not empty and %s: it is not a midobake output, so it is not replaced; choose another -o", dir, why)
	}
	return true, nil
}

// notOurs says why dir is not provably a midobake output, or "".
func notOurs(dir string) string {
	manifest, err := readSmall(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return "holds no manifest.json of midobake's"
	}
	if marker, err := readSmall(filepath.Join(dir, MarkerFile)); err == nil {
		sum := sha256.Sum256(manifest)
		if string(marker) == markerPrefix+hex.EncodeToString(sum[:])+"\n" {
			return ""
		}
		return "its " + MarkerFile + " does not match its manifest.json"
	}
	var m struct {
		Tool  string `json:"tool"`
		Files []struct {
			Path string `json:"path"`
		} `json:"files"`
	}
	if json.NewDecoder(bytes.NewReader(manifest)).Decode(&m) != nil || m.Tool != "midobake" || len(m.Files) == 0 {
		return "its manifest.json is not one midobake wrote"
	}
	for _, f := range m.Files {
		if strings.Contains(f.Path, "..") {
			return "its manifest.json is not one midobake wrote"
		}
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(f.Path))); err != nil {
			return "its manifest.json lists " + f.Path + ", which is not there"
		}
	}
	return ""
}

// readSmall reads a file of midobake's output, refusing anything large.
func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 64<<20))
}
