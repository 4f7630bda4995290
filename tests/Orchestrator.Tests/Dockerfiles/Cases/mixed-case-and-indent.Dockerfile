from alpine:3.20 as Builder
   run echo indented
  Env KEY=value

FROM Builder
copy --from=BUILDER /etc/os-release /os-release
