package auth

import (
	"onair/internal/testutil/testclock"
	"os"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// defaultBcryptCost is BcryptCost as the package sets it, before TestMain
// lowers it to keep the tests fast.
var defaultBcryptCost = BcryptCost

func TestMain(m *testing.M) {
	BcryptCost = bcrypt.MinCost
	os.Exit(m.Run())
}

// fakeClock is a clock the test moves by hand.
type fakeClock = testclock.Clock

func newClock(t time.Time) *fakeClock { return testclock.New(t) }
