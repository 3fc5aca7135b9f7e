# Shared helpers for scripts/make-bench-capture.sh, scripts/bench.sh and scripts/load-test.sh.
# Source it; it defines functions and variables only (no side effects until called).
#
#   bench_need_tools CMD:PACKAGE ...   install missing Debian packages (root only)
#   bench_nginx_start DIR              make a self-contained nginx site in DIR and start it
#   bench_stop_all                     stop every process started through bench_spawn
#
# The nginx instance listens on 127.0.0.1 only:
#   $BENCH_HTTP_PORT   plain HTTP/1.1 (keep-alive, gzip, chunked SSI pages, 300 KB file)
#   $BENCH_TLS13_PORT  the same site over TLS 1.3 only
#   $BENCH_TLS12_PORT  the same site over TLS 1.2 only
# It runs in the foreground of its own process (daemon off), with its own config, pid file,
# logs and temp paths under DIR; no system service is touched.

BENCH_HTTP_PORT="${BENCH_HTTP_PORT:-28080}"
BENCH_TLS13_PORT="${BENCH_TLS13_PORT:-28443}"
BENCH_TLS12_PORT="${BENCH_TLS12_PORT:-28444}"

bench_log() { printf '%s: %s\n' "${BENCH_NAME:-bench}" "$*" >&2; }
bench_die() { bench_log "error: $*"; exit 1; }

# PIDs of background processes we started; bench_stop_all stops them (newest first).
BENCH_PIDS=()
bench_spawn_record() { BENCH_PIDS+=("$1"); }
bench_stop_all() {
    local i pid
    for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do
        pid="${BENCH_PIDS[$i]}"
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    BENCH_PIDS=()
}

bench_is_root() { [[ "$(id -u)" == 0 ]]; }

# bench_need_tools cmd:package ... — install the packages of missing commands when root.
# Returns non-zero (after saying which) when something is still missing.
bench_need_tools() {
    local pair cmd pkg missing=() pkgs=()
    for pair in "$@"; do
        cmd="${pair%%:*}"; pkg="${pair#*:}"
        if ! command -v "$cmd" >/dev/null 2>&1 && [[ ! -x "$cmd" ]]; then
            missing+=("$cmd"); pkgs+=("$pkg")
        fi
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if bench_is_root && command -v apt-get >/dev/null 2>&1; then
        bench_log "installing ${pkgs[*]} (for ${missing[*]})"
        if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null 2>&1 ||
               { apt-get update -qq >/dev/null 2>&1 &&
                 DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null 2>&1; }; }; then
            bench_log "apt-get install ${pkgs[*]} failed"
        fi
    fi
    local still=()
    for cmd in "${missing[@]}"; do
        command -v "$cmd" >/dev/null 2>&1 || [[ -x "$cmd" ]] || still+=("$cmd")
    done
    if [[ ${#still[@]} -gt 0 ]]; then
        bench_log "missing: ${still[*]} (install: apt-get install ${pkgs[*]})"
        return 1
    fi
}

# True when nothing listens on 127.0.0.1:PORT.
bench_port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# bench_wait_port PORT — wait up to 10 s for a listener.
bench_wait_port() {
    local i
    for ((i = 0; i < 100; i++)); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# bench_site DIR — document root with the content the load generators ask for.
bench_site() {
    local dir="$1" www="$1/www" i
    mkdir -p "$www/text" "$www/ssi"
    # Small pages.
    {
        printf '<!doctype html>\n<html><head><title>squirrel bench</title></head><body>\n'
        printf '<h1>Acorn index</h1>\n<p>Small page served by the squirrel-sniff benchmark.</p>\n'
        for i in 1 2 3 4 5 6 7 8; do printf '<li><a href="/item/%d">item %d</a></li>\n' "$i" "$i"; done
        printf '</body></html>\n'
    } > "$www/index.html"
    printf 'ok\n' > "$www/ping.txt"
    # A 300 KB binary file (incompressible; gzip is not applied to it).
    head -c 307200 /dev/urandom > "$www/big.bin"
    # Compressible text (~120 KB): served gzip-compressed and chunked to HTTP/1.1 clients.
    {
        for i in $(seq 1 1500); do
            printf 'line %05d: the quick brown squirrel buries acorn number %d under tree %d\n' "$i" "$((i * 7))" "$((i % 97))"
        done
    } > "$www/text/log.txt"
    printf '{"squirrels":[%s]}\n' "$(seq -s, 1 2000)" > "$www/text/data.json"
    # A ~40 KB HTML page under /text/ (gzip-compressed too): the gzip-heavy profile's third body.
    {
        printf '<!doctype html>\n<html><head><title>acorn ledger</title></head><body><table>\n'
        for i in $(seq 1 600); do
            printf '<tr><td>%d</td><td>tree %d</td><td>%d acorns</td></tr>\n' "$i" "$((i % 53))" "$((i * 13 % 101))"
        done
        printf '</table></body></html>\n'
    } > "$www/text/page.html"
    # SSI page: the length is unknown up front, so nginx sends it chunked (no gzip asked).
    {
        printf '<html><body><h1>dynamic-ish</h1>\n'
        for i in 1 2 3 4 5 6; do printf '<!--# include file="/ssi/part.html" -->\n'; done
        printf '<p>served at <!--# echo var="date_gmt" --></p></body></html>\n'
    } > "$www/ssi/page.shtml"
    head -c 3000 "$www/text/log.txt" | sed 's/^/<p>/' > "$www/ssi/part.html"
    chmod -R a+rX "$dir"
}

# bench_cert DIR — self-signed P-256 certificate for 127.0.0.1 / localhost.
bench_cert() {
    local dir="$1"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \
        -subj "/CN=localhost/O=squirrel-sniff bench" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$dir/server.key" -out "$dir/server.crt" >/dev/null 2>&1 ||
        bench_die "openssl could not make the self-signed certificate"
    chmod 644 "$dir/server.key" "$dir/server.crt"
}

# bench_nginx_conf DIR — write DIR/nginx.conf.
bench_nginx_conf() {
    local dir="$1"
    local site
    site=$(cat <<EOF
        root $dir/www;
        index index.html;
        keepalive_requests 100000;
        keepalive_timeout 30s;
        location = /login {
            # Reads and discards a small form body, answers a small JSON document.
            client_max_body_size 64k;
            default_type application/json;
            return 200 '{"ok":true,"user":"alice"}\n';
        }
        location /ssi/ {
            ssi on;
            ssi_types text/html;
            gzip off;
        }
        location /text/ {
            gzip on;
            # ab speaks HTTP/1.0: compress for it too (the gzip profile's one-shot requests).
            gzip_http_version 1.0;
            gzip_comp_level 1;
            gzip_min_length 256;
            gzip_types text/plain application/json;
            default_type text/plain;
        }
EOF
)
    cat > "$dir/nginx.conf" <<EOF
# Generated by scripts/bench/lib.sh for the squirrel-sniff benchmark. Not a system service.
daemon off;
master_process on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    types { text/html shtml; }
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    ssl_certificate $dir/server.crt;
    ssl_certificate_key $dir/server.key;
    ssl_session_cache off;
    ssl_session_tickets off;
    server {
        listen 127.0.0.1:$BENCH_HTTP_PORT;
$site
    }
    server {
        listen 127.0.0.1:$BENCH_TLS13_PORT ssl;
        ssl_protocols TLSv1.3;
$site
    }
    server {
        listen 127.0.0.1:$BENCH_TLS12_PORT ssl;
        ssl_protocols TLSv1.2;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305;
$site
    }
}
EOF
    mkdir -p "$dir/tmp"
    chmod 755 "$dir" "$dir/tmp"
}

# bench_nginx_start DIR — site, certificate, config, then start nginx and wait for it.
bench_nginx_start() {
    local dir="$1" port
    for port in "$BENCH_HTTP_PORT" "$BENCH_TLS13_PORT" "$BENCH_TLS12_PORT"; do
        bench_port_free "$port" || bench_die "127.0.0.1:$port is in use (set BENCH_HTTP_PORT / BENCH_TLS13_PORT / BENCH_TLS12_PORT)"
    done
    bench_site "$dir"
    bench_cert "$dir"
    bench_nginx_conf "$dir"
    nginx -t -p "$dir" -c "$dir/nginx.conf" >"$dir/nginx-test.log" 2>&1 ||
        { cat "$dir/nginx-test.log" >&2; bench_die "nginx rejected the generated config"; }
    nginx -p "$dir" -c "$dir/nginx.conf" >"$dir/nginx.out" 2>&1 &
    bench_spawn_record $!
    for port in "$BENCH_HTTP_PORT" "$BENCH_TLS13_PORT" "$BENCH_TLS12_PORT"; do
        bench_wait_port "$port" || { cat "$dir/error.log" >&2 2>/dev/null; bench_die "nginx did not listen on 127.0.0.1:$port"; }
    done
    bench_log "nginx up: http 127.0.0.1:$BENCH_HTTP_PORT, tls1.3 :$BENCH_TLS13_PORT, tls1.2 :$BENCH_TLS12_PORT (dir $dir)"
}
