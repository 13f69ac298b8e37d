# Sourced by the scripts beside it. free_port: a loopback port nothing answers on (pure bash: no python or iproute2
# needed on a fresh machine).
free_port() {
  local port
  while true; do
    port=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
}
