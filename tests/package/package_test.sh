#!/usr/bin/env bash
# The Debian packages, as a user gets them: build them with CPack from this
# build tree, check their file lists and metadata, unpack them into a
# temporary root (dpkg-deb -x), verify the systemd unit, run the unpacked corsd
# and corsctl against each other (systemd readiness included), and build a
# tiny gateway against the unpacked libcorsd-client-dev with find_package and
# with pkg-config, which then asks the unpacked corsd.
#
#   tests/package/package_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
source=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/corsd-package-test.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "package_test: FAIL: $*" >&2; exit 1; }
step() { echo "package_test: $*"; }

# --- build the packages -------------------------------------------------------
step "cpack"
cpack --config "$build/CPackConfig.cmake" -B "$work/packages" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack failed"; }
server_deb=$(ls "$work"/packages/corsd_*_amd64.deb)
client_deb=$(ls "$work"/packages/libcorsd-client-dev_*_amd64.deb)
runtime_deb=$(ls "$work"/packages/libcorsd-client0.1_*_amd64.deb)
nginx_deb=$(ls "$work"/packages/libnginx-mod-http-corsd_*_amd64.deb 2>/dev/null || true)
[[ -n "$nginx_deb" ]] || fail "no libnginx-mod-http-corsd package (is nginx-dev installed?)"

# --- metadata and file lists --------------------------------------------------
[[ $(dpkg-deb -f "$server_deb" Package) == corsd ]] || fail "server package name"
[[ $(dpkg-deb -f "$client_deb" Package) == libcorsd-client-dev ]] || fail "client package name"
for dep in adduser libgrpc++1.51 libprotobuf32 libsqlite3-0 libpsl5 libabsl20220623; do
  dpkg-deb -f "$server_deb" Depends | grep -q "$dep" || fail "corsd does not depend on $dep"
done
for dep in libabsl-dev "libcorsd-client0.1 (= "; do
  dpkg-deb -f "$client_deb" Depends | grep -qF "$dep" || fail "libcorsd-client-dev does not depend on $dep"
done
for dep in libgrpc++1.51 libprotobuf32; do
  dpkg-deb -f "$runtime_deb" Depends | grep -q "$dep" || fail "libcorsd-client0.1 does not depend on $dep"
done
for dep in nginx-abi-1.22.1 "libcorsd-client0.1 (= "; do
  dpkg-deb -f "$nginx_deb" Depends | grep -qF "$dep" || fail "libnginx-mod-http-corsd does not depend on $dep"
done
for script in postinst postrm; do
  dpkg-deb -I "$nginx_deb" "$script" >/dev/null || fail "libnginx-mod-http-corsd has no $script"
done
dpkg-deb -I "$server_deb" conffiles | grep -qx /etc/default/corsd || fail "/etc/default/corsd is not a conffile"
# It may hold a database password: never world-readable.
dpkg-deb -c "$server_deb" | grep -E ' \./etc/default/corsd$' | grep -q '^-rw-r----- ' ||
  fail "/etc/default/corsd is not mode 0640 in the package"
for script in postinst prerm postrm; do
  dpkg-deb -I "$server_deb" "$script" >/dev/null || fail "corsd has no $script"
done

files() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./|/|' | sort; }
expected_server=$(printf '%s\n' /etc/default/corsd /usr/bin/corsctl /usr/bin/corsd \
  /usr/lib/systemd/system/corsd.service /usr/share/doc/corsd/ARCHITECTURE.md \
  /usr/share/doc/corsd/README.md /usr/share/doc/corsd/corsctl.txt /usr/share/doc/corsd/corsd.txt | sort)
[[ $(files "$server_deb") == "$expected_server" ]] ||
  fail "corsd files differ:"$'\n'"$(diff <(echo "$expected_server") <(files "$server_deb"))"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
lib=/usr/lib/$multiarch
expected_client=$(printf '%s\n' /usr/include/corsd/client.h /usr/include/corsd/corsd_c.h /usr/include/corsd/gateway.h \
  "$lib/cmake/corsd/corsdConfig.cmake" "$lib/cmake/corsd/corsdConfigVersion.cmake" \
  "$lib/cmake/corsd/corsdTargets.cmake" "$lib/cmake/corsd/corsdTargets-relwithdebinfo.cmake" \
  "$lib/libcorsd-client.so" "$lib/pkgconfig/corsd-client.pc" | sort)
[[ $(files "$client_deb") == "$expected_client" ]] ||
  fail "libcorsd-client-dev files differ:"$'\n'"$(diff <(echo "$expected_client") <(files "$client_deb"))"
expected_runtime=$(printf '%s\n' "$lib/libcorsd-client.so.0.1" "$lib/libcorsd-client.so.0.1.0" | sort)
[[ $(files "$runtime_deb") == "$expected_runtime" ]] ||
  fail "libcorsd-client0.1 files differ:"$'\n'"$(diff <(echo "$expected_runtime") <(files "$runtime_deb"))"
expected_nginx=$(printf '%s\n' /usr/lib/nginx/modules/ngx_http_corsd_module.so \
  /usr/share/doc/libnginx-mod-http-corsd/examples/corsd-module.conf \
  /usr/share/nginx/modules-available/mod-http-corsd.conf | sort)
[[ $(files "$nginx_deb") == "$expected_nginx" ]] ||
  fail "libnginx-mod-http-corsd files differ:"$'\n'"$(diff <(echo "$expected_nginx") <(files "$nginx_deb"))"
# Installable next to Debian's nginx (its nginx-abi is what the module needs),
# as apt would resolve it; simulated, the machine is not changed.
if command -v apt-get >/dev/null && [[ -x /usr/sbin/nginx ]]; then
  apt-get install -s --no-download "$runtime_deb" "$nginx_deb" >"$work/apt.log" 2>&1 ||
    { cat "$work/apt.log"; fail "apt-get cannot install the module next to this nginx"; }
  step "apt-get install -s: libcorsd-client0.1 and libnginx-mod-http-corsd install next to nginx"
fi
step "packages: corsd $(stat -c %s "$server_deb") bytes, libcorsd-client-dev $(stat -c %s "$client_deb") bytes"

# --- unpack -------------------------------------------------------------------
root=$work/root
dpkg-deb -x "$server_deb" "$root"
dpkg-deb -x "$client_deb" "$root"
dpkg-deb -x "$runtime_deb" "$root"
dpkg-deb -x "$nginx_deb" "$root"
grep -q "^CORSD_DB=/var/lib/corsd/corsd.db$" "$root/etc/default/corsd" || fail "/etc/default/corsd"
"$root/usr/bin/corsd" --help | grep -q "backup" || fail "corsd --help does not list backup"
grep -q "corsd restore" "$root/usr/share/doc/corsd/corsd.txt" || fail "corsd.txt lacks restore --help"

# --- the systemd unit ---------------------------------------------------------
unit=$root/usr/lib/systemd/system/corsd.service
for directive in Type=notify User=corsd StateDirectory=corsd NoNewPrivileges=yes \
    ProtectSystem=strict ProtectHome=yes PrivateTmp=yes "SystemCallFilter=@system-service" \
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" KillSignal=SIGTERM; do
  grep -qx "$directive" "$unit" || fail "the unit lacks $directive"
done
if command -v systemd-analyze >/dev/null; then
  # The unit as installed, with ExecStart pointing at the unpacked binary (verify
  # checks that it is executable). Any output (an unknown key, a bad value) fails.
  mkdir -p "$work/unit"
  sed "s|/usr/bin/corsd|$root/usr/bin/corsd|" "$unit" >"$work/unit/corsd.service"
  verify=$(systemd-analyze verify "$work/unit/corsd.service" 2>&1) || fail "systemd-analyze verify: $verify"
  [[ -z "$verify" ]] || fail "systemd-analyze verify says: $verify"
  exposure=$(systemd-analyze security --offline=true "$work/unit/corsd.service" 2>/dev/null |
             sed -n 's/.*Overall exposure level for corsd.service: \([0-9.]*\).*/\1/p')
  awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 2.0) }' ||
    fail "systemd-analyze security rates the unit's exposure ${exposure:-?} (want <= 2.0)"
  step "systemd-analyze verify: clean; exposure $exposure"
else
  fail "systemd-analyze is missing (scripts/install-deps --test installs systemd)"
fi

# --- run the unpacked corsd and corsctl ---------------------------------------
db=$work/corsd.db
"$root/usr/bin/corsd" migrate --db "$db" >/dev/null
token=$("$root/usr/bin/corsd" token create --db "$db" --role admin --name package-test 2>/dev/null | tail -1)
# Readiness the way systemd sees it: a datagram socket in NOTIFY_SOCKET.
python3 - "$work/notify.sock" "$work/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "w") as out:
    for _ in range(2):
        out.write(s.recv(4096).decode() + "\n")
        out.flush()
PY
pids+=($!)
for _ in $(seq 100); do [[ -S "$work/notify.sock" ]] && break; sleep 0.05; done
NOTIFY_SOCKET=$work/notify.sock "$root/usr/bin/corsd" serve --db "$db" --listen 127.0.0.1:0 \
  --admin-listen 127.0.0.1:0 --ready-file "$work/ready.json" 2>"$work/corsd.log" &
corsd_pid=$!
pids+=($corsd_pid)
for _ in $(seq 200); do grep -q READY=1 "$work/notify.log" 2>/dev/null && break; sleep 0.05; done
grep -q READY=1 "$work/notify.log" || fail "corsd did not notify READY=1"
[[ -s "$work/ready.json" ]] || fail "corsd sent READY=1 before binding its ports"
ports=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["data_port"], d["admin_port"])' "$work/ready.json")
read -r data_port admin_port <<<"$ports"
ctl=("$root/usr/bin/corsctl" --server "127.0.0.1:$admin_port" --data-server "127.0.0.1:$data_port" --token "$token")
"${ctl[@]}" tenant create shop --host shop.example.com >/dev/null
echo '{"rules":[{"allowedOrigins":["https://app.example.com"],"allowedMethods":["GET","HEAD","POST","PUT"]}]}' |
  "${ctl[@]}" policy apply shop -f - >/dev/null
"${ctl[@]}" check --tenant shop --origin https://app.example.com --method GET | grep -q "^ALLOW" ||
  fail "unpacked corsctl check did not ALLOW"
step "unpacked corsd and corsctl work together"

# --- a gateway built against the unpacked libcorsd-client-dev -----------------
mkdir -p "$work/gateway"
cat >"$work/gateway/main.cc" <<'CC'
#include <cstdio>
#include <cstdlib>

#include "corsd/client.h"
#include "corsd/gateway.h"

int main(int argc, char** argv) {
  corsd::ClientOptions options;
  options.target = argv[1];
  // The default 50 ms is a gateway's budget; a test machine running other
  // tests at the same time may need longer for the first call's connect.
  options.deadline = absl::Seconds(10);
  auto client = corsd::Client::Create(options);
  if (!client.ok()) return 2;
  corsd::CorsRequest request = corsd::CorsRequestFromHttp(
      "GET", "/items?x=1", "shop.example.com", {{"Origin", "https://app.example.com"}});
  auto decision = (*client)->Check(request);
  if (!decision.ok()) return 3;
  std::vector<corsd::HttpHeader> response = {{"Access-Control-Allow-Origin", "*"}};
  corsd::ApplyDecisionHeaders(*decision, &response);
  for (const auto& h : response) printf("%s: %s\n", h.name.c_str(), h.value.c_str());
  printf("%s\n", decision->verdict == corsd::Verdict::kAllow ? "ALLOW" : "DENY");
  return 0;
}
CC
cat >"$work/gateway/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(tiny_gateway CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(corsd CONFIG REQUIRED)
add_executable(tiny_gateway main.cc)
target_link_libraries(tiny_gateway PRIVATE corsd::client)
CM
cmake -S "$work/gateway" -B "$work/gateway/build" -G Ninja -DCMAKE_PREFIX_PATH="$root/usr" \
  >"$work/gateway.log" 2>&1 || { cat "$work/gateway.log"; fail "find_package(corsd) failed"; }
cmake --build "$work/gateway/build" >>"$work/gateway.log" 2>&1 ||
  { cat "$work/gateway.log"; fail "the tiny gateway did not build against the package"; }
out=$(LD_LIBRARY_PATH="$root$lib" "$work/gateway/build/tiny_gateway" "127.0.0.1:$data_port")
grep -qx "ALLOW" <<<"$out" || fail "tiny gateway (find_package) got: $out"
grep -qx "Access-Control-Allow-Origin: https://app.example.com" <<<"$out" ||
  fail "tiny gateway did not put corsd's answer in place of the upstream's: $out"
step "tiny gateway via find_package(corsd): ALLOW"

# The same program through pkg-config.
flags=$(PKG_CONFIG_PATH="$root$lib/pkgconfig" pkg-config --cflags --libs corsd-client)
include_dir=$(grep -o -- '-I[^ ]*' <<<"$flags" | head -1 | cut -c3-)
[[ -n "$include_dir" && $(realpath "$include_dir") == "$(realpath "$root/usr/include")" ]] ||
  fail "pkg-config --cflags does not point into the package: $flags"
# shellcheck disable=SC2086
c++ -std=c++20 "$work/gateway/main.cc" -o "$work/gateway/tiny_pc" $flags ||
  fail "the tiny gateway did not build with pkg-config flags: $flags"
out=$(LD_LIBRARY_PATH="$root$lib" "$work/gateway/tiny_pc" "127.0.0.1:$data_port")
grep -qx "ALLOW" <<<"$out" || fail "tiny gateway (pkg-config) got: $out"
step "tiny gateway via pkg-config: ALLOW"

# The C example through pkg-config, deciding locally from the watched policy.
viewer=$("$root/usr/bin/corsd" token create --db "$db" --role viewer --name c-example 2>/dev/null | tail -1)
echo "$viewer" >"$work/viewer.token"
# shellcheck disable=SC2086
cc -std=c11 -Werror "$source/examples/c/corsd_decide.c" \
  -o "$work/gateway/corsd_decide" $flags 2>"$work/c.log" ||
  { cat "$work/c.log"; fail "examples/c/corsd_decide.c did not build with pkg-config flags"; }
out=$(LD_LIBRARY_PATH="$root$lib" "$work/gateway/corsd_decide" "127.0.0.1:$admin_port" \
  "$work/viewer.token" shop.example.com https://app.example.com PUT)
grep -q "^ALLOW ALLOWED (local) status 204" <<<"$out" || fail "the C example got: $out"
grep -qx "Access-Control-Allow-Origin: https://app.example.com" <<<"$out" ||
  fail "the C example's headers: $out"
step "C example via pkg-config: ALLOW, decided locally"

# --- the packaged nginx module in Debian's nginx, against the unpacked corsd ---
if [[ -x /usr/sbin/nginx ]]; then
  ngx=$work/nginx
  mkdir -p "$ngx/logs" "$ngx/www" "$ngx/snapshot"
  echo hello >"$ngx/www/index.html"
  nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # Debian's enabling file names modules/...; this nginx's prefix is elsewhere.
  grep -qx "load_module modules/ngx_http_corsd_module.so;" \
    "$root/usr/share/nginx/modules-available/mod-http-corsd.conf" || fail "mod-http-corsd.conf"
  cat >"$ngx/nginx.conf" <<NGINX
load_module $root/usr/lib/nginx/modules/ngx_http_corsd_module.so;
daemon off;
worker_processes 1;
pid $ngx/nginx.pid;
error_log $ngx/logs/error.log info;
events { worker_connections 64; }
http {
  access_log $ngx/logs/access.log;
  client_body_temp_path $ngx/tmp;
  corsd_admin_server 127.0.0.1:$admin_port;
  corsd_token_file $work/viewer.token;
  server {
    listen 127.0.0.1:$nginx_port;
    corsd on;
    corsd_tenant shop;
    location / { root $ngx/www; }
  }
}
NGINX
  # The master loads the module; the library comes from the unpacked package.
  LD_LIBRARY_PATH="$root$lib" /usr/sbin/nginx -p "$ngx" -c "$ngx/nginx.conf" -t >"$work/nginx-t.log" 2>&1 ||
    { cat "$work/nginx-t.log"; fail "nginx -t rejects the packaged module"; }
  LD_LIBRARY_PATH="$root$lib" /usr/sbin/nginx -p "$ngx" -c "$ngx/nginx.conf" 2>"$work/nginx.log" &
  nginx_pid=$!
  pids+=($nginx_pid)
  answer=""
  for _ in $(seq 100); do
    answer=$(curl -s -o /dev/null -D - -X OPTIONS -H "Origin: https://app.example.com" \
      -H "Access-Control-Request-Method: PUT" "http://127.0.0.1:$nginx_port/index.html" 2>/dev/null || true)
    grep -q "^HTTP/1.1 204" <<<"$answer" && break
    sleep 0.05
  done
  grep -q "^HTTP/1.1 204" <<<"$answer" || { cat "$ngx/logs/error.log"; fail "module preflight: $answer"; }
  grep -qi "^Access-Control-Allow-Origin: https://app.example.com" <<<"$answer" ||
    fail "module preflight headers: $answer"
  kill -QUIT "$nginx_pid"
  wait "$nginx_pid" || fail "nginx with the module did not stop cleanly"
  step "packaged module in Debian's nginx: preflight 204 with corsd's headers"
fi

# --- clean stop ---------------------------------------------------------------
kill -TERM "$corsd_pid"
wait "$corsd_pid" || fail "corsd exited non-zero on SIGTERM"
for _ in $(seq 100); do grep -q STOPPING=1 "$work/notify.log" && break; sleep 0.05; done
grep -q STOPPING=1 "$work/notify.log" || fail "corsd did not notify STOPPING=1"
echo "1 passed, 0 failed"
