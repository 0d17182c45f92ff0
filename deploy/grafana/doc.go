// Package grafana holds onair's Grafana dashboard and the test that keeps it valid.
package grafana
