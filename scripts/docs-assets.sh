#!/usr/bin/env bash
# Fills internal/docs/dist with the Swagger UI files that /docs/ serves, from
# the npm package swagger-ui-dist pinned in web/package-lock.json. Run it
# before go build or go test (make build does); running it again changes
# nothing unless the lockfile did.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
web="$root/web"
dist="$root/internal/docs/dist"
pkg="$web/node_modules/swagger-ui-dist"
# npm writes this file on every install: its age is the install's age.
installed="$web/node_modules/.package-lock.json"

# The files /docs/ needs, and the licences that must travel with them.
files=(
	swagger-ui-bundle.js
	swagger-ui-bundle.js.LICENSE.txt
	swagger-ui.css
	LICENSE
	NOTICE
)

if [[ ! -f "$installed" || "$web/package-lock.json" -nt "$installed" ]]; then
	if ! command -v npm >/dev/null 2>&1; then
		echo "docs-assets: npm is not installed; it is needed once to fetch Swagger UI for /docs/." >&2
		echo "docs-assets: install Node.js and npm (Debian: apt-get install -y npm), then run $0 again." >&2
		exit 1
	fi
	echo "docs-assets: npm ci in web/"
	# --ignore-scripts: swagger-ui-dist's dependency @scarf/scarf would
	# otherwise send install analytics; nothing here needs a script.
	(cd "$web" && npm ci --no-audit --no-fund --ignore-scripts)
	touch "$installed"
fi

for f in "${files[@]}"; do
	if [[ ! -f "$pkg/$f" ]]; then
		echo "docs-assets: $pkg/$f is missing: has swagger-ui-dist changed its layout?" >&2
		exit 1
	fi
	# Copy only what changed, so that make and the go build cache see no change.
	if ! cmp -s "$pkg/$f" "$dist/$f"; then
		cp "$pkg/$f" "$dist/$f.tmp"
		mv "$dist/$f.tmp" "$dist/$f"
		echo "docs-assets: copied $f"
	fi
done

# Drop files that an older version of this script copied.
for path in "$dist"/* "$dist"/.[!.]*; do
	[[ -e "$path" ]] || continue
	name="$(basename "$path")"
	case " ${files[*]} README.md .gitignore " in
	*" $name "*) ;;
	*)
		rm -rf -- "$path"
		echo "docs-assets: removed $name"
		;;
	esac
done
