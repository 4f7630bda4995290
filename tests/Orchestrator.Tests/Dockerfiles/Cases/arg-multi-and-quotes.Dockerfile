ARG A=1 B="two words"
FROM alpine:3.20
ARG A B C=${A}-x
ENV A=env-wins
ARG D=$A
RUN echo $A $B $C $D
