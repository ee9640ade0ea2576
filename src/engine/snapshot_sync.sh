# snapshot_sync.sh — owns making one volume equal to another in the snapshot helper container
# (busybox sh, awk, find, stat, cp, touch). `sync_volume FROM TO` leaves TO with exactly the
# entries of FROM: an empty TO gets one `cp -a`; otherwise both trees are listed once each
# (`find -exec stat` in bulk) and compared like rsync's quick check: a regular file whose size,
# mtime (ns), mode and owner match is kept, the rest are copied with `cp -a`, entries only in TO
# (or of another type) are removed, symbolic links and special files are always made again,
# directories get FROM's owner, mode and mtime; times are kept to the nanosecond. Names holding a newline, or files with hard
# links, take the full copy (a listing or a per-file copy could not keep them exact), as does any
# failure of the incremental pass.

SYNC_FORMAT='%F|%s|%y|%f|%u|%g|%h|%n'

# The plan: "D path" remove from TO, "C path" copy from FROM (after removing what is there),
# "O path" set the directory's owner and mode, "T path" set the directory's times, "X" take the
# full copy. Paths are "./..." relative to the volume's top, as find prints them.
SYNC_AWK='
BEGIN { FS = "|" }
function name(   n, i) { n = $8; for (i = 9; i <= NF; i++) n = n "|" $i; return n }
function kind(t) {
  if (t == "directory") return "d"
  if (t == "symbolic link") return "l"
  if (t ~ /regular/) return "f"
  return "s"
}
function parent(p) { sub(/\/[^\/]*$/, "", p); return p }
function under(n, top) { return top != "" && substr(n, 1, length(top)) == top }
NR == FNR {
  n = name(); fk[n] = kind($1); fa[n] = $2 "|" $3 "|" $4 "|" $5 "|" $6
  fm[n] = $4 "|" $5 "|" $6; ft[n] = $3; forder[++nf] = n
  if (fk[n] != "d" && $7 > 1) hard = 1
  next
}
{
  n = name(); tk[n] = kind($1); ta[n] = $2 "|" $3 "|" $4 "|" $5 "|" $6
  tm[n] = $4 "|" $5 "|" $6; tt[n] = $3; torder[++nt] = n
}
END {
  if (hard) { print "X"; exit }
  top = ""
  for (i = 1; i <= nt; i++) {
    n = torder[i]
    if (under(n, top)) continue
    k = tk[n]
    if (!(n in fk) || fk[n] != k || k == "l" || k == "s") {
      print "D " n; gone[n] = 1; touch[parent(n)] = 1
      top = (k == "d") ? n "/" : ""
    }
  }
  top = ""
  for (i = 1; i <= nf; i++) {
    n = forder[i]
    if (under(n, top)) continue
    k = fk[n]
    if (!(n in tk) || (n in gone)) {
      print "C " n; touch[parent(n)] = 1
      top = (k == "d") ? n "/" : ""
    } else if (k == "f") {
      if (fa[n] != ta[n]) { print "C " n; touch[parent(n)] = 1 }
    } else if (k == "d") {
      if (fm[n] != tm[n]) print "O " n
      if (ft[n] != tt[n]) touch[n] = 1
    }
  }
  for (n in touch) print "T " n
}'

sync_list() {
  (cd "$1" && find . -mindepth 1 -exec stat -c "$SYNC_FORMAT" {} +)
}

# The incremental pass; fails (and may leave TO half done) when it cannot be exact.
sync_quick() {
  from=$1 to=$2 nl='
'
  [ -z "$(find "$from" "$to" -mindepth 1 -name "*$nl*" | head -n 1)" ] || return 1
  mkdir -p /tmp || return 1
  sync_list "$from" >/tmp/sync.from || return 1
  sync_list "$to" >/tmp/sync.to || return 1
  awk "$SYNC_AWK" /tmp/sync.from /tmp/sync.to >/tmp/sync.plan || return 1
  ! grep -qx X /tmp/sync.plan || return 1
  while IFS= read -r line; do
    p=${line#? }
    case $line in
      D*) rm -rf "$to/$p" ;;
      C*) rm -rf "$to/$p" && cp -a "$from/$p" "$to/$p" && sync_times "$from" "$to" "$p" ;;
      O*) chown "$(stat -c %u:%g "$from/$p")" "$to/$p" && chmod "$(stat -c %a "$from/$p")" "$to/$p" ;;
      T*) touch -r "$from/$p" "$to/$p" ;;
    esac || return 1
  done </tmp/sync.plan
  echo "sync $to: $(grep -c '^[DC]' /tmp/sync.plan) entries removed or copied, $(wc -l </tmp/sync.from) in the snapshot"
}

# busybox `cp -a` keeps whole seconds only: gives every entry of FROM/REL but symbolic links
# (touch would follow them) its exact times (`touch -r` runs in the shell's process: cheap).
sync_times() {
  nl='
'
  (cd "$1" && find "$3" -path "*$nl*" -prune -o ! -type l -print) | while IFS= read -r p; do
    touch -r "$1/$p" "$2/$p" || exit 1
  done
}

sync_full() {
  find "$2" -mindepth 1 -maxdepth 1 -exec rm -rf {} + && cp -a "$1/." "$2/" && sync_times "$1" "$2" .
}

sync_volume() {
  if [ -z "$(ls -A "$2")" ] || ! sync_quick "$1" "$2"; then
    sync_full "$1" "$2" || return 1
  fi
  chown "$(stat -c %u:%g "$1")" "$2" && chmod "$(stat -c %a "$1")" "$2" && touch -r "$1" "$2"
}
