#!/usr/bin/env bash
# What the tests need beyond npm: system packages, one line each below (program the tests run, Debian package).
# Run by `npm test` (pretest) and by .ci/run. Installs what is missing when it may (root with apt-get);
# otherwise stops at once, saying what to install. Prints nothing when everything is there.
#   bash scripts/system-deps.sh          check and install
#   bash scripts/system-deps.sh --check  check only (exit 1 naming what is missing)
set -euo pipefail

# program or file the tests need, Debian package, what needs it
REQUIRED=(
  "/usr/bin/chromium chromium        the report pages' browser tests (playwright-core drives it; CHROMIUM_PATH overrides)"
  "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf fonts-liberation   fonts for those pages (chromium only recommends them; label widths are measured)"
  "/usr/bin/aws      awscli          the serve-mode test (test/e2e/serve.test.ts drives segments start --serve with it)"
  "/usr/bin/python3  python3         the CSV round-trip tests read the product's CSV files with Python's csv module (an independent parser)"
)

missing_pkgs=()
missing_text=()
for line in "${REQUIRED[@]}"; do
  read -r program pkg why <<< "$line"
  if [[ "$program" == /usr/bin/* ]]; then
    # A program given through the environment (e.g. CHROMIUM_PATH for chromium) counts when it exists.
    override_var="$(basename "$program" | tr '[:lower:]-' '[:upper:]_')_PATH"
    override="${!override_var:-}"
    if [ -x "$program" ] || { [ -n "$override" ] && [ -x "$override" ]; }; then continue; fi
  elif [ -f "$program" ]; then
    continue # a data file (fonts): present is enough
  fi
  missing_pkgs+=("$pkg")
  missing_text+=("  $pkg: $why")
done

[ ${#missing_pkgs[@]} -eq 0 ] && exit 0

if [ "${1:-}" != "--check" ] && [ "$(id -u)" -eq 0 ] && command -v apt-get > /dev/null 2>&1; then
  echo "system-deps: installing ${missing_pkgs[*]} (apt-get; needed by the tests)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" > /dev/null
  exit 0
fi

{
  echo "system-deps: the tests need system packages that are not installed:"
  printf '%s\n' "${missing_text[@]}"
  echo "install them, e.g.: sudo apt-get install -y ${missing_pkgs[*]}   (or run npm test as root on Debian/Ubuntu)"
} >&2
exit 1
