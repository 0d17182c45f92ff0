package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config is how onair reaches an S3-compatible service. The credentials
// are the standard AWS ones: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
// (and AWS_SESSION_TOKEN), else the shared files ~/.aws/credentials and
// ~/.aws/config (AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE),
// else an EC2 or ECS instance role.
type S3Config struct {
	// Endpoint is the service's URL, such as http://127.0.0.1:7070 or
	// https://s3.eu-west-1.amazonaws.com; AWS S3 when empty. A custom
	// endpoint is addressed path-style (endpoint/bucket/key), which every
	// S3-compatible server takes.
	Endpoint string
	// Region signs the requests; AWS_REGION, else us-east-1, when empty.
	Region string
}

// partSize is the size of the parts a large object is uploaded in: an
// hour of 720p is a hundred of them, and only a few are in memory at once.
const partSize = 16 << 20

// S3 is a bucket, under a key prefix, as storage.
type S3 struct {
	client   *minio.Client
	bucket   string
	prefix   string // "" or ending in "/"
	endpoint *url.URL
}

// NewS3 returns the storage of a bucket location. It does not reach the
// service: Check does.
func NewS3(cfg S3Config, loc Location) (*S3, error) {
	if !loc.IsBucket() {
		return nil, errors.New("storage: an S3 storage needs a bucket")
	}
	ep, err := endpointURL(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	region := cfg.Region
	if region == "" {
		region = os.Getenv("AWS_REGION")
	}
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		region = "us-east-1"
	}
	lookup := minio.BucketLookupAuto
	if cfg.Endpoint != "" {
		lookup = minio.BucketLookupPath
	}
	creds := credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{},
		&credentials.FileAWSCredentials{},
		&credentials.IAM{},
	})
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	client, err := minio.New(ep.Host, &minio.Options{
		Creds: creds, Secure: ep.Scheme == "https", Region: region, BucketLookup: lookup, Transport: tr,
		// onair retries itself, with backoff that fits what it uploads
		// (the Mirror): a request that fails says so at once.
		MaxRetries: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("storage: S3 endpoint %s: %w", ep, err)
	}
	s := &S3{client: client, bucket: loc.Bucket, endpoint: ep}
	if loc.Prefix != "" {
		s.prefix = loc.Prefix + "/"
	}
	return s, nil
}

func endpointURL(raw string) (*url.URL, error) {
	if raw == "" {
		return &url.URL{Scheme: "https", Host: "s3.amazonaws.com"}, nil
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
		return nil, fmt.Errorf("storage: S3 endpoint %q must be http(s)://host[:port]", raw)
	}
	return u, nil
}

func (s *S3) key(k string) string { return s.prefix + k }

func (s *S3) Put(ctx context.Context, key string, body io.Reader, size int64, meta Meta) error {
	_, err := s.client.PutObject(ctx, s.bucket, s.key(key), body, size, s.putOptions(meta))
	return s.fail("writing", key, err)
}

func (s *S3) PutFile(ctx context.Context, key, file string, meta Meta) error {
	_, err := s.client.FPutObject(ctx, s.bucket, s.key(key), file, s.putOptions(meta))
	return s.fail("writing", key, err)
}

func (s *S3) putOptions(meta Meta) minio.PutObjectOptions {
	ctype := meta.ContentType
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	return minio.PutObjectOptions{ContentType: ctype, CacheControl: meta.CacheControl, PartSize: partSize, NumThreads: 2,
		// A signed payload over plain HTTP is sent aws-chunked, which some
		// S3-compatible servers keep as the object's Content-Encoding.
		DisableContentSha256: true}
}

// Open stats the object first, so that a missing one fails here, and then
// reads it in ranges: a Seek starts the next read at that offset, and
// ReadAt reads only the range it asks for.
func (s *S3) Open(ctx context.Context, key string) (Object, error) {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	o, err := s.client.GetObject(ctx, s.bucket, s.key(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, s.fail("reading", key, err)
	}
	return &object{Object: o, info: info}, nil
}

type object struct {
	*minio.Object
	info Info
}

func (o *object) Info() Info { return o.info }

func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	st, err := s.client.StatObject(ctx, s.bucket, s.key(key), minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s.fail("reading", key, err)
	}
	return Info{Key: key, Size: st.Size, Modified: st.LastModified}, nil
}

func (s *S3) List(ctx context.Context, prefix string) ([]Info, error) {
	var out []Info
	for o := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.key(prefix), Recursive: true}) {
		if o.Err != nil {
			return nil, s.fail("listing", prefix, o.Err)
		}
		out = append(out, Info{Key: strings.TrimPrefix(o.Key, s.prefix), Size: o.Size, Modified: o.LastModified})
	}
	return out, nil
}

func (s *S3) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	ch := make(chan minio.ObjectInfo, len(keys))
	for _, k := range keys {
		ch <- minio.ObjectInfo{Key: s.key(k)}
	}
	close(ch)
	var errs []error
	for e := range s.client.RemoveObjects(ctx, s.bucket, ch, minio.RemoveObjectsOptions{}) {
		if minio.ToErrorResponse(e.Err).Code != "NoSuchKey" {
			errs = append(errs, s.fail("deleting", strings.TrimPrefix(e.ObjectName, s.prefix), e.Err))
		}
	}
	return errors.Join(errs...)
}

func (s *S3) SignedURL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	u, err := s.client.PresignedGetObject(ctx, s.bucket, s.key(key), ttl, nil)
	if err != nil {
		return "", s.fail("signing", key, err)
	}
	return u.String(), nil
}

func (s *S3) Location(key string) string { return "s3://" + path.Join(s.bucket, s.key(key)) }

// URL is the object's address at the endpoint, path-style: what a CDN or a
// player reads when the bucket lets anyone read it.
func (s *S3) URL(key string) string {
	u := *s.endpoint
	u.Path = "/" + s.bucket + "/" + s.key(key)
	return u.String()
}

// checkKey is the object Check writes and deletes.
const checkKey = ".onair-check"

// Check writes and deletes a small object under the prefix: what a run
// does, with the run's credentials.
func (s *S3) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.Put(ctx, checkKey, strings.NewReader("onair"), 5, Meta{ContentType: "text/plain"}); err != nil {
		return err
	}
	return s.Delete(ctx, checkKey)
}

// fail words a failed request so that a person can act on it: denied
// credentials, a missing bucket, an endpoint that does not answer.
func (s *S3) fail(doing, key string, err error) error {
	if err == nil {
		return nil
	}
	resp := minio.ToErrorResponse(err)
	where := fmt.Sprintf("bucket %s at %s", s.bucket, s.endpoint.Host)
	switch {
	// Before the 404s: versitygw answers an unknown access key with a 404
	// XAdminUserNotFound, where AWS S3 says 403 InvalidAccessKeyId.
	case resp.Code == "AccessDenied" || resp.Code == "InvalidAccessKeyId" || resp.Code == "SignatureDoesNotMatch" ||
		resp.Code == "XAdminUserNotFound" || resp.StatusCode == http.StatusForbidden:
		return &Error{Message: fmt.Sprintf("S3: access denied to %s (%s): check the AWS credentials onair runs with", where, firstNonEmpty(resp.Code, resp.Message, err.Error())), Err: err, Denied: true}
	case resp.Code == "NoSuchKey" || resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket":
		return fmt.Errorf("S3: %s: %w", s.Location(key), ErrNotFound)
	case resp.Code == "NoSuchBucket":
		return &Error{Message: fmt.Sprintf("S3: there is no %s", where), Err: err}
	}
	var nerr net.Error
	if errors.As(err, &nerr) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Message: fmt.Sprintf("S3: %s does not answer (%s %s): %v", s.endpoint.Host, doing, key, err), Err: err}
	}
	return &Error{Message: fmt.Sprintf("S3: %s %s in %s: %v", doing, key, where, err), Err: err}
}

// Error is a failed storage request, worded for a person.
type Error struct {
	Message string
	Err     error
	// Denied: the credentials were refused, which retrying does not mend.
	Denied bool
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

// Denied reports whether err is a refusal of the credentials.
func Denied(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Denied
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
