package server

import (
	"fmt"

	"onair/internal/config"
	"onair/internal/storage"
)

// openStorage sets up where archives go: the data directory, and the
// bucket --storage names. It does not reach the bucket: each run checks
// the buckets it writes into when it starts, so that a server whose
// storage is down for a while still serves what it has.
func openStorage(cfg config.Config) (*storage.Set, error) {
	disk, err := storage.NewDisk(cfg.Data)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	loc, err := storage.ParseLocation(cfg.Storage)
	if err != nil {
		disk.Close()
		return nil, fmt.Errorf("storage: %w", err)
	}
	set, err := storage.NewSet(disk, loc, storage.S3Config{Endpoint: cfg.S3Endpoint})
	if err != nil {
		disk.Close()
		return nil, err
	}
	set.Redirect, set.DownloadTTL = cfg.ArchiveDownload == "redirect", cfg.DownloadTTL
	return set, nil
}
