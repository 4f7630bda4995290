#!/usr/bin/env bash
# Rebuilds cases/ and ADAPTATIONS.md from Kaniko v1.20.0's integration suite (integration/dockerfiles and the context
# folders its harness builds them with), adapted to the two bases the conformance tests make themselves:
# ${BUSYBOX} (Debian's busybox-static as a one-layer image, 30 applets linked in /bin) and ${DEBIAN} (bookworm minbase).
#
#   KANIKO_SRC=/path/to/kaniko-v1.20.0-checkout  tests/Orchestrator.Tests/Conformance/Kaniko/adapt.sh
#   KANIKO_GIT_DIR=/path/to/kaniko.git [KANIKO_TAG=v1.20.0]  tests/Orchestrator.Tests/Conformance/Kaniko/adapt.sh
#
# Every case is written by one `adapt` call below, with its changes said in words next to the edits that make them;
# those words become ADAPTATIONS.md, so the table and the cases cannot drift apart. Every file of
# integration/dockerfiles must be either adapted or left out with a reason, or the script stops.
#
# A case folder holds: Dockerfile; the context files it uses (paths as in Kaniko's integration folder, which is the
# context Kaniko's harness builds with); `args`, the executor flags Kaniko's harness passes for that file
# (integration/images.go: argsMap, additionalKanikoFlagsMap; one flag a line); `env`, the environment it sets
# (envsMap). The tests read args and env and keep both out of the build context.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cases="$here/cases"
tag="${KANIKO_TAG:-v1.20.0}"

scratch_dir="" goldens=""
trap '[ -z "$scratch_dir" ] || rm -rf "$scratch_dir"; [ -z "$goldens" ] || rm -rf "$goldens"' EXIT
if [ -n "${KANIKO_SRC:-}" ]; then
  src="$KANIKO_SRC"
elif [ -n "${KANIKO_GIT_DIR:-}" ]; then
  scratch_dir="$(mktemp -d)"
  git --git-dir="$KANIKO_GIT_DIR" archive "$tag" integration LICENSE | tar -x -C "$scratch_dir"
  src="$scratch_dir"
else
  echo "set KANIKO_SRC to a checkout of Kaniko $tag, or KANIKO_GIT_DIR to its git directory (KANIKO_TAG, default $tag)" >&2
  exit 2
fi
integration="$src/integration"
[ -d "$integration/dockerfiles" ] || { echo "$integration/dockerfiles is missing: is $src a Kaniko checkout?" >&2; exit 2; }

die() { echo "adapt.sh: $*" >&2; exit 1; }

# The BuildKit goldens (make-goldens.sh --kaniko) outlive a run: kept for the cases that still exist. A case whose
# Dockerfile or context changed needs its golden made again.
goldens="$(mktemp -d)"
if [ -d "$cases" ]; then
  (cd "$cases" && find . -name buildkit.golden.json -exec cp --parents {} "$goldens/" \;)
fi
rm -rf "$cases"
mkdir -p "$cases"
rows=()      # ADAPTATIONS.md table rows
left_out=()  # ADAPTATIONS.md list of files left out
declare -A done_files=()

name="" dir="" file=""

# adapt FILE: starts the case FILE (its folder drops the Dockerfile_ prefix) from integration/dockerfiles/FILE.
adapt() {
  file="$1"
  name="${file#Dockerfile_}"
  dir="$cases/$name"
  [ -f "$integration/dockerfiles/$file" ] || die "no integration/dockerfiles/$file"
  mkdir -p "$dir"
  {
    echo "# Adapted from Kaniko $tag integration/dockerfiles/$file (Apache-2.0, see ../../NOTICE); changes: ../../ADAPTATIONS.md"
    cat "$integration/dockerfiles/$file"
  } > "$dir/Dockerfile"
  done_files["$file"]=1
  bases_said="" changes=() flags=()
}

# bases DEFAULT [PATTERN=BASE ...]: every FROM of an external image becomes FROM ${DEFAULT}, or ${BASE} for an image
# whose name (registry and library/ prefixes aside) starts with PATTERN; FROM scratch, FROM a stage and FROM $VAR
# stay. Declares the base ARGs before the first instruction. Records "old → new" for the table.
bases() {
  local said
  said="$(DEFAULT="$1" MAP="${*:2}" FILE="$dir/Dockerfile" perl -e '
    my %map = map { split /=/, $_, 2 } split / /, ($ENV{MAP} // "");
    open my $in, "<", $ENV{FILE} or die; my @lines = <$in>; close $in;
    my (%stages, %used, %said);
    for (@lines) {
      next unless /^(\s*FROM\s+)(--platform=\S+\s+)?(\S+)(.*)$/is;
      my ($head, $platform, $image, $rest) = ($1, $2 // "", $3, $4);
      my $stage = $rest =~ /\bAS\s+(\S+)/i ? lc $1 : undef;
      if ($image ne "scratch" && !$stages{lc $image} && $image !~ /\$/) {
        my $base = $ENV{DEFAULT};
        (my $plain = $image) =~ s{^(docker\.io/)?(library/)?}{};
        for my $p (keys %map) { $base = $map{$p} if index($plain, $p) == 0; }
        $used{$base} = 1; $said{"$image → \${$base}"} = 1;
        $_ = "$head$platform\${$base}$rest";
      }
      $stages{$stage} = 1 if defined $stage;
    }
    # the header comment, then the base ARGs, then the file
    open my $out, ">", $ENV{FILE} or die;
    print $out shift @lines, (map { "ARG $_\n" } sort keys %used), @lines;
    close $out;
    print join("; ", sort keys %said);')"
  [ -n "$said" ] || die "$name: bases found no external image"
  bases_said="$said"
}

# declare_base ARG: declares a base ARG at the top where the edits below use it without a plain FROM line.
declare_base() {
  grep -q "^ARG $1\$" "$dir/Dockerfile" && return
  ARG="$1" perl -0pi -e 's/\A(#[^\n]*\n)/$1ARG $ENV{ARG}\n/' "$dir/Dockerfile"
}

# replace OLD NEW WHY: a literal edit of the Dockerfile, which must match; WHY goes to the table.
replace() {
  OLD="$1" NEW="$2" perl -0pi -e '$n = s/\Q$ENV{OLD}\E/$ENV{NEW}/g; die "no match\n" unless $n' "$dir/Dockerfile" \
    || die "$name: '$1' is not in the Dockerfile"
  [ -z "${3:-}" ] || changes+=("$3")
}

# why TEXT: a change made by the edits just above (or a property of the case) that the table must say.
why() { changes+=("$1"); }

# context PATH...: copies integration/PATH (file or folder) into the case, at the same relative path.
context() {
  local path
  for path in "$@"; do
    [ -e "$integration/$path" ] || die "$name: no integration/$path"
    mkdir -p "$dir/$(dirname "$path")"
    cp -R "$integration/$path" "$dir/$path"
  done
}

# whole_context: what `COPY .`/`ADD .` sees: Kaniko's integration folder trimmed to its test-data folders.
whole_context() {
  context context ignore ignore_relative .dockerignore
  changes+=("\`.\` is Kaniko's integration folder trimmed to context/, ignore/, ignore_relative/ and its .dockerignore (Go sources, dockerfiles/, testdata/ and the 2 MB tar.tar left out)")
}

# flags FLAG...: executor flags Kaniko's harness passes for this file, one a line in `args`.
flags() { flags+=("$@"); printf '%s\n' "$@" >> "$dir/args"; }

# environment NAME=VALUE: the harness's environment for this file (envsMap), in `env`.
environment() { printf '%s\n' "$@" >> "$dir/env"; }

# done_case: closes the case: its table row.
done_case() {
  local row_changes="" flag_text="" c
  for c in "${changes[@]}"; do row_changes+="${row_changes:+; }$c"; done
  for c in "${flags[@]}"; do flag_text+="${flag_text:+ }\`$c\`"; done
  rows+=("| $name | ${bases_said:-—} | ${row_changes:-none} | ${flag_text:-—} |")
  name=""
}

# leave FILE REASON: a file of integration/dockerfiles with no case.
leave() {
  [ -f "$integration/dockerfiles/$1" ] || die "no integration/dockerfiles/$1"
  done_files["$1"]=1
  left_out+=("- \`$1\`: $2")
}

busybox_date='busybox date -u -d @0'

# ---------------------------------------------------------------------------------------------------------------------
# The cases, in the order of integration/dockerfiles.

adapt 1097
bases DEBIAN
why "not matched by the harness's Dockerfile_test* pattern; built here anyway (supplementary groups of a USER)"
done_case

adapt Dockerfile_dockerignore_relative
context ignore_relative
cp "$integration/dockerfiles/Dockerfile_dockerignore_relative.dockerignore" "$dir/Dockerfile.dockerignore"
why "its Dockerfile_dockerignore_relative.dockerignore is the case's Dockerfile.dockerignore (the per-Dockerfile ignore file, read by Kaniko and BuildKit); Kaniko's harness does not run it"
done_case

adapt Dockerfile_hardlink_base
bases BUSYBOX
replace 'RUN apk --no-cache add git' \
  'RUN mkdir -p /usr/libexec/git-core /usr/bin && cp /bin/busybox /usr/libexec/git-core/git && ln /usr/libexec/git-core/git /usr/libexec/git-core/git-diff && ln /usr/libexec/git-core/git /usr/bin/git' \
  "\`apk add git\` becomes a busybox copy hardlinked as /usr/libexec/git-core/git, git-diff and /usr/bin/git: the hardlink set the later RUN replaces one link of, without a package install"
why "the harness builds it as the base of Dockerfile_test_hardlink; here it is a case of its own"
done_case

adapt Dockerfile_onbuild_base
bases BUSYBOX
why "only ENV and ONBUILD: busybox is enough; the harness builds it as the base of Dockerfile_test_onbuild, here it is a case of its own"
done_case

adapt Dockerfile_relative_copy
bases BUSYBOX
mkdir -p "$dir" && cp "$integration/context/foo" "$dir/foo"
why "the harness builds it with context integration/context, so that folder's foo sits at the case's root"
done_case

adapt Dockerfile_test_add
bases BUSYBOX
whole_context
replace 'ADD https://github.com/GoogleCloudPlatform/docker-credential-gcr/releases/download/v1.4.3/docker-credential-gcr_linux_386-1.4.3.tar.gz context/foo /test/all/' \
  'ADD context/foo /test/all/'
replace 'ADD https://github.com/GoogleCloudPlatform/docker-credential-gcr/releases/download/${VERSION}/docker-credential-gcr_darwin_amd64-2.1.0.tar.gz /destination
' ''
replace 'ADD $URL /otherdestination
' '' "the three ADDs of GitHub release URLs dropped (the local source of the mixed one kept); the ENV lines they used stay, so the config is Kaniko's"
why "debian:10.13 → busybox: the steps only ADD/COPY"
flags --build-arg=file=context/foo --single-snapshot
done_case

leave Dockerfile_test_add_404 "ADD of https://httpstat.us/404: needs the internet (and the harness skips it too)"

adapt Dockerfile_test_add_chown_intermediate_dirs
bases DEBIAN
context context/foo context/qux
replace 'RUN yes | adduser -u 1001 dev' 'RUN adduser --disabled-password --gecos "" --uid 1001 dev' \
  "alpine → Debian, busybox adduser → Debian's adduser with the same user (uid 1001, group dev, home): the busybox-static base has no adduser applet"
done_case

adapt Dockerfile_test_add_dest_symlink_dir
bases BUSYBOX
replace 'ADD context/foo /etc/service/foo' 'RUN mkdir -p /etc/runit/runsvdir/default && ln -s /etc/runit/runsvdir/default /etc/service
ADD context/foo /etc/service/foo' \
  "phusion/baseimage's symlinked /etc/service is made by a RUN on busybox (/etc/service → /etc/runit/runsvdir/default)"
context context/foo
done_case

leave Dockerfile_test_add_url_with_arg "ADD of a GitHub archive URL built from ARGs: the URL is the whole test and needs the internet"

adapt Dockerfile_test_arg_blank_with_quotes
bases BUSYBOX
done_case

adapt Dockerfile_test_arg_from_quotes
replace 'ARG IMAGE_NAME="busybox:latest"' 'ARG IMAGE_NAME="${BUSYBOX}"' \
  "the quoted default names the base through \${BUSYBOX} (still double-quoted, expanded)"
declare_base BUSYBOX
bases_said='busybox:latest → ${BUSYBOX}'
done_case

adapt Dockerfile_test_arg_from_single_quotes
replace "ARG IMAGE_NAME='busybox:latest'" "ARG IMAGE_NAME=''" ''
replace 'FROM $IMAGE_NAME' 'FROM ${BUSYBOX}$IMAGE_NAME' \
  "single quotes never expand, so the single-quoted default is '' appended to \${BUSYBOX} (a quote left in the value makes FROM invalid)"
declare_base BUSYBOX
bases_said='busybox:latest → ${BUSYBOX}'
done_case

adapt Dockerfile_test_arg_multi
bases BUSYBOX
done_case

adapt Dockerfile_test_arg_multi_empty_val
replace 'FROM busybox${VARIANT}:1.3${VERSION}' 'FROM ${BUSYBOX}${VARIANT}' \
  "the empty \${VARIANT} is appended to \${BUSYBOX}; the :1.3\${VERSION} tag part is dropped (the base has its own tag)"
declare_base BUSYBOX
bases_said='busybox:1.31 → ${BUSYBOX}'
done_case

adapt Dockerfile_test_arg_multi_with_quotes
bases BUSYBOX
done_case

adapt Dockerfile_test_arg_secret
bases BUSYBOX
why "debian:10.13 → busybox: mkdir, chmod and echo only; the harness's check that the values are never printed is not repeated"
flags --build-arg=SSH_PRIVATE_KEY '--build-arg=SSH_PUBLIC_KEY=Pµbl1cK€Y'
environment SSH_PRIVATE_KEY=ThEPriv4t3Key
done_case

adapt Dockerfile_test_arg_two_level
replace 'ARG A=3.9
ARG B=alpine:${A}' 'ARG A=${BUSYBOX}
ARG B=${A}' "the two levels of meta ARGs stay: A defaults to \${BUSYBOX}, B to \${A} (alpine:\${A} named a tag)"
declare_base BUSYBOX
bases_said='alpine:3.9 → ${BUSYBOX}'
done_case

for variant in "" _oci; do
  adapt "Dockerfile_test_cache$variant"
  bases BUSYBOX
  context context/foo
  replace 'RUN date > /date' "RUN $busybox_date > /date" \
    "\`date\` → \`$busybox_date\` (the base links no date applet; a fixed time keeps the file comparable); built once, without Kaniko's --cache build-twice check; debian:10.13 → busybox"
  done_case
done

for variant in "" _oci; do
  adapt "Dockerfile_test_cache_copy$variant"
  bases BUSYBOX
  context context/foo
  replace 'COPY context/foo /usr/bin' 'RUN mkdir -p /usr/bin
COPY context/foo /usr/bin' "a RUN makes /usr/bin first, the folder the cloud-sdk alpine image has (without it COPY would write a file /usr/bin); built once, without Kaniko's --cache flags"
  done_case
done

adapt Dockerfile_test_cache_install
bases DEBIAN
context context/bar
why "installs make from Debian's archive (network); built once, without Kaniko's --cache flags"
done_case

leave Dockerfile_test_cache_install_oci "the same Dockerfile as Dockerfile_test_cache_install, which Kaniko runs twice only to try its two cache backends; a second network install would add minutes and test nothing new"

for variant in "" _oci; do
  adapt "Dockerfile_test_cache_perm$variant"
  bases BUSYBOX
  why "built once, without Kaniko's --cache build-twice check"
  done_case
done

adapt Dockerfile_test_cmd
bases BUSYBOX
why "metadata only: debian:10.2 → busybox"
done_case

adapt Dockerfile_test_complex_substitution
bases BUSYBOX
done_case

adapt Dockerfile_test_copy
bases BUSYBOX
whole_context
done_case

leave Dockerfile_test_copy_bucket "the same Dockerfile as Dockerfile_test_copy, built from a Google Cloud Storage bucket context (-b): no bucket contexts here"

adapt Dockerfile_test_copy_chown_intermediate_dirs
bases DEBIAN
context context/foo context/qux
replace 'RUN yes | adduser -u 1001 dev' 'RUN adduser --disabled-password --gecos "" --uid 1001 dev' \
  "alpine → Debian, busybox adduser → Debian's adduser with the same user (uid 1001, group dev, home): the busybox-static base has no adduser applet"
done_case

adapt Dockerfile_test_copy_chown_nonexisting_user
bases DEBIAN
done_case

adapt Dockerfile_test_copy_reproducible
bases BUSYBOX
whole_context
why "the harness passes no --reproducible (its list names a Dockerfile_test_reproducible that does not exist)"
done_case

adapt Dockerfile_test_copy_root_multistage
bases BUSYBOX
whole_context
why "\`COPY / /foo\` copies the context's root (no --from)"
done_case

adapt Dockerfile_test_copy_same_file_many_times
bases BUSYBOX
context context/foo
done_case

adapt Dockerfile_test_copy_symlink
bases BUSYBOX
done_case

adapt Dockerfile_test_daemons
bases BUSYBOX
replace 'dd if=/dev/zero of=file`date +%s`.txt' 'busybox dd if=/dev/zero of=file`busybox date +%s`.txt' \
  "\`dd\` and \`date\` run as \`busybox dd\`/\`busybox date\` (the base links neither applet), so a daemon that outlives its RUN still writes its file"
done_case

adapt Dockerfile_test_dangling_symlink
bases BUSYBOX
done_case

adapt Dockerfile_test_deleted_file_cached
bases BUSYBOX
done_case

adapt Dockerfile_test_dockerignore
whole_context
rm -rf "$dir/context" "$dir/ignore_relative"
changes=("the context is ignore/ and Kaniko's integration .dockerignore (all the Dockerfile reads)")
done_case

adapt Dockerfile_test_env
bases BUSYBOX
why "metadata only: debian:10.13 → busybox"
done_case

adapt Dockerfile_test_expose
bases BUSYBOX
why "metadata only: debian:10.13 → busybox"
done_case

adapt Dockerfile_test_extract_fs
bases DEBIAN
done_case

leave Dockerfile_test_extraction "its base gcr.io/kaniko-test/extraction-base-image exists only in Kaniko's registry (no Dockerfile for it in the repo), and the case is that image's layers"

adapt Dockerfile_test_from_multistage_capital
bases BUSYBOX
done_case

leave Dockerfile_test_hardlink "composer, php and jboss images plus gcr.io/kaniko-test/hardlink-base running a real git; the hardlink part is Dockerfile_hardlink_base's case"

adapt Dockerfile_test_ignore
whole_context
done_case

leave Dockerfile_test_issue_1039 "Red Hat UBI 7 base with yum installs from Red Hat's repositories"
leave Dockerfile_test_issue_1837 "Red Hat UBI 8 base with yum installs from Red Hat's repositories"

adapt Dockerfile_test_issue_2049
bases DEBIAN
why "apt-get installs from Debian's archive (network)"
done_case

adapt Dockerfile_test_issue_2066
bases DEBIAN
why "ubuntu:focal → Debian; apt installs from Debian's archive (network); libbsd.so.0 has the same path in bookworm"
done_case

adapt Dockerfile_test_issue_519
bases BUSYBOX
done_case

adapt Dockerfile_test_issue_647
bases BUSYBOX
done_case

adapt Dockerfile_test_issue_684
bases DEBIAN
replace 'apt-get update && apt-get -y upgrade && apt-get -y install' 'apt-get update && apt-get -y install' \
  "\`apt-get -y upgrade\` dropped: what it upgrades follows the archive of the day, not the Dockerfile; installs from Debian's archive (network)"
done_case

adapt Dockerfile_test_issue_704
bases BUSYBOX
done_case

adapt Dockerfile_test_label
bases BUSYBOX
why "metadata only: debian:10.13 → busybox"
done_case

adapt Dockerfile_test_maintainer
context context/foo
flags --single-snapshot
done_case

adapt Dockerfile_test_meta_arg
replace 'ARG REGISTRY=docker.io
ARG IMAGE=debian
ARG TAG=9.11' 'ARG IMAGE=${DEBIAN}' ''
replace 'FROM ${REGISTRY}/${IMAGE}:${TAG} as stage1' 'FROM ${IMAGE} as stage1' ''
replace 'FROM ${REGISTRY}/${IMAGE}:${TAG}
' 'FROM ${IMAGE}
' "the REGISTRY/IMAGE:TAG meta ARGs become one IMAGE meta ARG defaulting to \${DEBIAN}, used by both FROMs"
declare_base DEBIAN
bases_said='docker.io/debian:9.11 → ${DEBIAN}'
done_case

adapt Dockerfile_test_metadata
bases BUSYBOX
why "metadata only: debian:10.2 → busybox"
done_case

adapt Dockerfile_test_multistage
bases DEBIAN fedora=BUSYBOX
whole_context
replace 'FROM fourth
' 'FROM ${DEBIAN} AS debian-10-13

FROM fourth
' ''
replace 'COPY --from=debian:10.13 /etc/os-release /new' 'COPY --from=debian-10-13 /etc/os-release /new' \
  "\`COPY --from=debian:10.13\` (an image) → a stage \`FROM \${DEBIAN} AS debian-10-13\` added before the last one (BuildKit 0.11 expands no ARG in --from, and the base's reference is only known at run time); the unused fedora stage is on busybox"
replace 'RUN date > /date' 'RUN date -u -d @0 > /date' "\`date\` prints a fixed time so /date compares"
flags --build-arg=file=/foo2
done_case

adapt Dockerfile_test_multistage_args_issue_1911
bases BUSYBOX
done_case

adapt Dockerfile_test_mv_add
bases BUSYBOX
context context/tars
done_case

adapt Dockerfile_test_onbuild
replace 'FROM gcr.io/kaniko-test/onbuild-base:latest' "$(sed -n '/^FROM/,$p' "$integration/dockerfiles/Dockerfile_onbuild_base" | sed '1s/.*/FROM ${BUSYBOX} AS onbuild-base/')
FROM onbuild-base" \
  "gcr.io/kaniko-test/onbuild-base (built by the harness from Dockerfile_onbuild_base) is that Dockerfile inlined as a first stage on busybox; ONBUILD triggers of a parent stage run as for a base image"
declare_base BUSYBOX
bases_said='gcr.io/kaniko-test/onbuild-base (ubuntu:18.04) → ${BUSYBOX}'
context context/foo
flags --build-arg=file=/tmp/onbuild
done_case

adapt Dockerfile_test_parent_dir_perms
bases DEBIAN
replace 'ADD https://raw.githubusercontent.com/GoogleContainerTools/kaniko/master/README.md /home/user/foo/README.md' \
  'ADD context/foo /home/user/foo/README.md' \
  "busybox → Debian (its adduser takes these Debian options; the busybox-static base has no adduser); the ADD of Kaniko's README URL adds a context file instead (the case is the 0700 parent folder, not the download)"
context context/foo
done_case

adapt Dockerfile_test_registry
bases BUSYBOX
done_case

leave Dockerfile_registry_mirror "run only with --registry-mirror (not supported by this executor); the Dockerfile is Dockerfile_test_run_2's"

leave Dockerfile_test_replaced_hardlinks "only FROM a pinned jboss/base-jdk image: the case is that image's layer history, which no local base has"

adapt Dockerfile_test_replaced_symlinks
bases BUSYBOX
why "the pinned alpine image's symlink layers are not reproduced: only RUN pwd is left to check"
done_case

for variant in "" _new _redo; do
  adapt "Dockerfile_test_run$variant"
  bases BUSYBOX
  context context/foo
  why "debian:10.13 → busybox: echo, cp and rm, \$HOME from /etc/passwd"
  case "$variant" in
    "") flags --build-arg=file=/file ;;
    _new) flags --build-arg=file=/file --use-new-run=true ;;
    _redo) flags --build-arg=file=/file --snapshot-mode=redo ;;
  esac
  done_case
done

adapt Dockerfile_test_run_2
bases BUSYBOX
why "debian:10.13 → busybox: RUN echo only"
done_case

adapt Dockerfile_test_scratch
context context/foo context/bar
flags --build-arg=image=scratch --build-arg=hello=hello-value --build-arg=file=context/foo '--build-arg=file3=context/b*' --single-snapshot
done_case

adapt Dockerfile_test_snapshotter_ignorelist
bases BUSYBOX
why "the harness's check of Kaniko's trace output is not repeated"
flags --use-new-run=true -v=trace
done_case

adapt Dockerfile_test_target
bases BUSYBOX
whole_context
why "gcr.io/distroless/base → busybox (the target stage is scratch)"
flags --target=second
done_case

adapt Dockerfile_test_user
bases BUSYBOX
why "metadata only: debian:10.13 → busybox"
done_case

adapt Dockerfile_test_user_home
bases DEBIAN
done_case

adapt Dockerfile_test_user_nonexisting
bases DEBIAN
done_case

adapt Dockerfile_test_user_run
bases DEBIAN
context context/foo
why "the harness skips it (a container-diff bug); built here"
done_case

adapt Dockerfile_test_volume
bases BUSYBOX
why "debian:10.13 → busybox: mkdir and echo only"
done_case

adapt Dockerfile_test_volume_2
bases BUSYBOX
context context/foo
replace 'VOLUME /foo1
' 'RUN mkdir /foo1
VOLUME /foo1
' "a RUN makes /foo1 before \`VOLUME /foo1\`: VOLUME makes no folder in BuildKit, so the next RUN, writing into /foo1, fails there (Docker's classic builder made it)"
why "debian:10.13 → busybox: echo and mkdir only"
done_case

adapt Dockerfile_test_volume_3
bases BUSYBOX
done_case

adapt Dockerfile_test_volume_4
replace 'FROM rabbitmq@sha256:57b028a4bb9592ece3915e3e9cdbbaecb3eb82b753aaaf5250f8d25d81d318e2' 'FROM ${BUSYBOX} AS rabbitmq
RUN mkdir -p /var/lib/rabbitmq
VOLUME /var/lib/rabbitmq

FROM rabbitmq' "the rabbitmq base is a first stage on busybox with what the comment relies on: /var/lib/rabbitmq made and declared a VOLUME"
declare_base BUSYBOX
bases_said='rabbitmq@sha256:… → ${BUSYBOX}'
context context/foo
done_case

adapt Dockerfile_test_whitelist
bases DEBIAN
done_case

adapt Dockerfile_test_workdir
bases BUSYBOX
context context/foo
why "debian:10.13 → busybox: COPY, WORKDIR and cp only"
flags --build-arg=workdir=/arg/workdir
done_case

adapt Dockerfile_test_workdir_with_user
bases DEBIAN
done_case

adapt TestReplaceFolderWithFile
bases BUSYBOX
why "run by TestReplaceFolderWithFileOrLink (which checks the last layer has no whiteouts under the replaced folder); compared whole here"
done_case

adapt TestReplaceFolderWithLink
bases BUSYBOX
why "run by TestReplaceFolderWithFileOrLink (which checks the last layer has no whiteouts under the replaced folder); compared whole here"
done_case

leave Dockerfile_dockerignore_relative.dockerignore "not a Dockerfile: the ignore file of Dockerfile_dockerignore_relative, copied into that case"
leave Dockerfile_git_buildcontext "built from a git context (github.com/GoogleContainerTools/kaniko#branch): no git contexts here"

# ---------------------------------------------------------------------------------------------------------------------

missing=()
for path in "$integration"/dockerfiles/*; do
  f="$(basename "$path")"
  [ -n "${done_files[$f]:-}" ] || missing+=("$f")
done
[ "${#missing[@]}" = 0 ] || die "neither adapted nor left out: ${missing[*]}"

(cd "$goldens" && find . -name buildkit.golden.json | while read -r golden; do
  [ -d "$cases/$(dirname "$golden")" ] && cp "$golden" "$cases/$golden"
done) || true

# Modes as a git checkout with umask 022 gives them, whatever the source tree had.
find "$cases" -type d -exec chmod 0755 {} +
find "$cases" -type f -perm -u+x -exec chmod 0755 {} +
find "$cases" -type f ! -perm -u+x -exec chmod 0644 {} +

total="$(find "$integration/dockerfiles" -maxdepth 1 -type f | wc -l)"
{
  cat <<EOF
# Kaniko's integration Dockerfiles, adapted

Generated by \`adapt.sh\` from Kaniko $tag \`integration/dockerfiles\` ($total files): ${#rows[@]} adapted into
\`cases/<name>/\`, ${#left_out[@]} left out. Do not edit by hand: change \`adapt.sh\` and run it again.

Rules for every case: each external base becomes \`ARG BUSYBOX\`/\`ARG DEBIAN\` + \`FROM \${BUSYBOX}\`/\`FROM \${DEBIAN}\`
(busybox-static as a one-layer image; Debian bookworm minbase), pinned digests and tags go with it; alpine and busybox
images go to busybox, Debian and Ubuntu images to Debian where the steps need Debian's tools (useradd, apt-get, adduser)
and to busybox where they only set metadata or use busybox applets (fewer Debian unpacks per run). The context holds
only what the Dockerfile reads, at the paths of Kaniko's integration folder (the context its harness builds with).
\`args\` holds the flags the harness passes (integration/images.go), \`env\` its environment for the build.

| case | bases | other changes (why) | args |
|---|---|---|---|
EOF
  printf '%s\n' "${rows[@]}"
  cat <<EOF

## Left out

EOF
  printf '%s\n' "${left_out[@]}"
} > "$here/ADAPTATIONS.md"

cp "$src/LICENSE" "$here/LICENSE"
cat > "$here/NOTICE" <<EOF
The Dockerfiles and context files under cases/ are adapted from Kaniko $tag integration/dockerfiles and
integration/context, integration/ignore, integration/ignore_relative (https://github.com/GoogleContainerTools/kaniko),
Copyright 2018 Google LLC, licensed under the Apache License, Version 2.0 (LICENSE beside this file).
Every change is listed in ADAPTATIONS.md.
EOF
echo "adapted ${#rows[@]}, left out ${#left_out[@]} of $total files into $cases"
