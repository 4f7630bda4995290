FROM busybox:1.36
RUN echo first > /first

FROM busybox:1.36
RUN echo second > /second

FROM busybox:1.36
COPY --from=0 /first /first
COPY --from=1 /second /second
