package domain

import (
	"net/url"
	"path"
	"strings"
)

// Bucket destinations: live HLS pushed to object storage, as the guide's
// CloudFront/MediaStore blueprints push theirs, and archives recorded into a
// bucket of their own.
const (
	SchemeS3            = "s3"
	SchemeMediaStore    = "mediastore"
	SchemeMediaStoreSSL = "mediastoressl"
)

// BucketURL reads a bucket destination's URL: s3://bucket[/prefix], or one
// without a bucket (s3://, mediastore://, mediastoressl://), whose place the
// server assembles from its storage settings. ok is false for any other URL.
func BucketURL(raw string) (bucket, prefix string, ok bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", false
	}
	switch u.Scheme {
	case SchemeS3, SchemeMediaStore, SchemeMediaStoreSSL:
		return u.Host, strings.Trim(u.Path, "/"), true
	}
	return "", "", false
}

// checkBucketURL checks a bucket destination's URL. An archive's names its
// bucket (s3://bucket[/prefix]); a live push's may leave it to the server.
func checkBucketURL(p *problems, field, raw string, archive bool) {
	u, err := url.Parse(raw)
	if err != nil {
		p.add(field, "must be a URL, got %q", MaskURL(raw))
		return
	}
	bucket, prefix := u.Host, strings.Trim(u.Path, "/")
	switch {
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		p.add(field, "a bucket URL is s3://bucket/prefix only: the endpoint and credentials are the server's (--s3-endpoint, the AWS credentials)")
	case archive && (u.Scheme != SchemeS3 || bucket == ""):
		p.add(field, "must name the archive's bucket, as s3://bucket/prefix; without a destination an archive goes to the server's storage")
	case u.Scheme != SchemeS3 && (bucket != "" || prefix != ""):
		p.add(field, "%s:// is assembled by the server (its storage, then live/<workflowId>/<pipeline>/): give it as %s:// alone, or use s3://bucket/prefix", u.Scheme, u.Scheme)
	case bucket != "" && !ValidBucketName(bucket):
		p.add(field, "%q is not a bucket name: 3-63 lower-case letters, digits, '.' and '-'", bucket)
	case prefix != "" && (path.Clean(prefix) != prefix || strings.Contains(prefix, "..")):
		p.add(field, "the prefix %q must be a clean path", prefix)
	}
}

// ValidBucketName reports whether b is an S3 bucket name: 3-63 lower-case
// letters, digits, '.' and '-', starting and ending with a letter or digit.
func ValidBucketName(b string) bool {
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '-' || c == '.') && i > 0 && i < len(b)-1:
		default:
			return false
		}
	}
	return true
}
