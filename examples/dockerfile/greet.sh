#!/bin/sh
echo "hello, $NAME"
