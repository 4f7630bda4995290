#!/bin/sh
echo tool2
