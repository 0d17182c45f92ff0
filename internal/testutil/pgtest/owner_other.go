//go:build !unix

package pgtest

import "os"

// ownedBy reports whether uid owns the file; only Unix runs the cluster as
// another user, so elsewhere it never does.
func ownedBy(os.FileInfo, int) bool { return false }
