#!/usr/bin/perl
# cmp_floats.pl GOT WANT [TOL]: compare two raw little-endian float32 files
# (coinfer infer's output and a reference's). Prints
#   n=<elements> max_abs_diff=<d> max_abs_want=<m> rel=<d/m> argmax=<got>/<want>
# and exits 0 when they hold as many floats and rel <= TOL (default 1e-4),
# 1 otherwise (2 when a file cannot be read). The relative error is the
# largest difference over the largest reference magnitude, as the zoo's
# logits checks measure it.
use strict;
use warnings;

my ($got_path, $want_path, $tol) = @ARGV;
die "usage: cmp_floats.pl GOT WANT [TOL]\n" unless defined $want_path;
$tol = 1e-4 unless defined $tol;

sub floats {
    my ($path) = @_;
    open(my $f, '<:raw', $path) or do { print STDERR "$path: $!\n"; exit 2 };
    local $/;
    my $bytes = <$f>;
    close($f);
    $bytes = '' unless defined $bytes;
    if (length($bytes) % 4) { print STDERR "$path: not a whole number of float32\n"; exit 2 }
    return [unpack('f<*', $bytes)];
}

sub argmax {
    my ($v) = @_;
    my $best = 0;
    for my $i (1 .. $#$v) { $best = $i if $v->[$i] > $v->[$best] }
    return $best;
}

my $got = floats($got_path);
my $want = floats($want_path);
if (@$got != @$want || !@$want) {
    printf "n=%d/%d: the files hold different numbers of floats\n", scalar(@$got), scalar(@$want);
    exit 1;
}
my ($d, $m) = (0, 0);
for my $i (0 .. $#$want) {
    my $x = abs($got->[$i] - $want->[$i]);
    $d = $x if $x > $d || $x != $x;    # NaN counts as a failure
    $m = abs($want->[$i]) if abs($want->[$i]) > $m;
}
my $rel = $m > 0 ? $d / $m : $d;
printf "n=%d max_abs_diff=%.3g max_abs_want=%.3g rel=%.3g argmax=%d/%d\n", scalar(@$want), $d, $m,
    $rel, argmax($got), argmax($want);
exit(($rel <= $tol) ? 0 : 1);
