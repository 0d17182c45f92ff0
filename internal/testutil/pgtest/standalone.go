package pgtest

// Cluster is a throwaway PostgreSQL cluster for a program that is not a test,
// such as a benchmark: the same cluster that Start uses, owned by its caller.
type Cluster struct{ c cluster }

// StartCluster starts a cluster in a temporary directory. The caller stops it
// with Stop, which removes its files; should the program die first, a watchdog
// process does both.
func StartCluster() (*Cluster, error) {
	cl := &Cluster{}
	if _, _, err := cl.c.get(); err != nil {
		return nil, err
	}
	return cl, nil
}

// NewDatabase creates an empty database and returns its URL.
func (cl *Cluster) NewDatabase() (string, error) {
	name := newName()
	if err := createDatabase(cl.c.admin, name); err != nil {
		return "", err
	}
	return withDatabase(*cl.c.base, name), nil
}

// Stop stops the cluster and removes its files.
func (cl *Cluster) Stop() error { return cl.c.stop() }
