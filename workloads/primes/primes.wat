;; Prime counting: PNode demo workload (format pnode-workload.v1, entry "count").
;;
;; Counts the primes p with lo <= p < hi by trial division with 2 and the odd numbers up to
;; the square root. Slow on purpose: its running time grows with the range, which makes it a
;; steady, checkable load for throttling figures.
;;
;; Input, 8 bytes, two little-endian i32: lo, hi with 0 <= lo <= hi <= 2^31 - 1.
;; Output: the count as one little-endian u32.
;; Returns 0, or 1 when the input is malformed.
(module
  (import "env" "memory" (memory 1))
  (import "env" "input_len" (func $input_len (result i32)))
  (import "env" "input_read" (func $input_read (param i32 i32 i32)))
  (import "env" "output_write" (func $output_write (param i32 i32)))
  (import "env" "yield" (func $yield))

  (func $is_prime (param $n i32) (result i32)
    (local $d i32)
    (if (i32.lt_u (local.get $n) (i32.const 2)) (then (return (i32.const 0))))
    (if (i32.lt_u (local.get $n) (i32.const 4)) (then (return (i32.const 1))))
    (if (i32.eqz (i32.and (local.get $n) (i32.const 1))) (then (return (i32.const 0))))
    (local.set $d (i32.const 3))
    (block $done
      (loop $next
        ;; d <= 46341 here, so d * d never overflows a u32.
        (br_if $done (i32.gt_u (i32.mul (local.get $d) (local.get $d)) (local.get $n)))
        (if (i32.eqz (i32.rem_u (local.get $n) (local.get $d))) (then (return (i32.const 0))))
        (local.set $d (i32.add (local.get $d) (i32.const 2)))
        (br $next)))
    (i32.const 1))

  (func $count (export "count") (result i32)
    (local $lo i32) (local $hi i32) (local $n i32) (local $found i32)
    (if (i32.ne (call $input_len) (i32.const 8)) (then (return (i32.const 1))))
    (call $input_read (i32.const 0) (i32.const 0) (i32.const 8))
    (local.set $lo (i32.load (i32.const 0)))
    (local.set $hi (i32.load (i32.const 4)))
    (if (i32.or (i32.lt_s (local.get $lo) (i32.const 0)) (i32.lt_s (local.get $hi) (local.get $lo)))
      (then (return (i32.const 1))))
    (local.set $n (local.get $lo))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $n) (local.get $hi)))
        ;; A safe point every 1024 numbers.
        (if (i32.eqz (i32.and (local.get $n) (i32.const 1023))) (then (call $yield)))
        (local.set $found (i32.add (local.get $found) (call $is_prime (local.get $n))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (i32.store (i32.const 0) (local.get $found))
    (call $output_write (i32.const 0) (i32.const 4))
    (i32.const 0))
)
