;; Mandelbrot tile: PNode demo workload (format pnode-workload.v1, entry "tile").
;;
;; The picture is the square [-2.25, 0.75] x [-1.5, 1.5] of the complex plane, cut into
;; tiles x tiles tiles of size x size pixels. Pixel (px, py) of the picture, counted from the
;; top-left, samples c = (-2.25 + (px + 0.5) * s) + (-1.5 + (py + 0.5) * s) i with s = 3 / (size * tiles).
;;
;; Input, 20 bytes, five little-endian i32:
;;   tile_x, tile_y   which tile (0 <= tile_x, tile_y < tiles)
;;   size             pixels on a tile's side, 1..128
;;   tiles            tiles on the picture's side, 1..4096
;;   max_iter         iteration limit, 1..65535
;; Output: size * size little-endian u16, row by row: the iteration at which |z| passed 2,
;; or max_iter for points that stayed bounded.
;; Returns 0, or 1 when the input is malformed.
;;
;; Every float operation is IEEE double in a fixed order, so any correct engine (and the
;; JavaScript reference) produces the same bytes.
(module
  (import "env" "memory" (memory 1))
  (import "env" "input_len" (func $input_len (result i32)))
  (import "env" "input_read" (func $input_read (param i32 i32 i32)))
  (import "env" "output_write" (func $output_write (param i32 i32)))
  (import "env" "yield" (func $yield))

  ;; Memory layout: the input at 0, the output from 64.
  (global $OUT i32 (i32.const 64))

  (func $tile (export "tile") (result i32)
    (local $tile_x i32) (local $tile_y i32) (local $size i32) (local $tiles i32) (local $max i32)
    (local $scale f64) (local $x i32) (local $y i32) (local $n i32) (local $out i32)
    (local $cr f64) (local $ci f64) (local $zr f64) (local $zi f64) (local $zr2 f64) (local $zi2 f64)

    (if (i32.ne (call $input_len) (i32.const 20)) (then (return (i32.const 1))))
    (call $input_read (i32.const 0) (i32.const 0) (i32.const 20))
    (local.set $tile_x (i32.load (i32.const 0)))
    (local.set $tile_y (i32.load (i32.const 4)))
    (local.set $size (i32.load (i32.const 8)))
    (local.set $tiles (i32.load (i32.const 12)))
    (local.set $max (i32.load (i32.const 16)))
    (if (i32.or (i32.lt_s (local.get $size) (i32.const 1)) (i32.gt_s (local.get $size) (i32.const 128)))
      (then (return (i32.const 1))))
    (if (i32.or (i32.lt_s (local.get $tiles) (i32.const 1)) (i32.gt_s (local.get $tiles) (i32.const 4096)))
      (then (return (i32.const 1))))
    (if (i32.or (i32.lt_s (local.get $max) (i32.const 1)) (i32.gt_s (local.get $max) (i32.const 65535)))
      (then (return (i32.const 1))))
    (if (i32.or (i32.lt_s (local.get $tile_x) (i32.const 0)) (i32.ge_s (local.get $tile_x) (local.get $tiles)))
      (then (return (i32.const 1))))
    (if (i32.or (i32.lt_s (local.get $tile_y) (i32.const 0)) (i32.ge_s (local.get $tile_y) (local.get $tiles)))
      (then (return (i32.const 1))))

    (local.set $scale
      (f64.div (f64.const 3) (f64.convert_i32_s (i32.mul (local.get $size) (local.get $tiles)))))
    (local.set $out (global.get $OUT))
    (local.set $y (i32.const 0))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_s (local.get $y) (local.get $size)))
        (call $yield)
        (local.set $ci
          (f64.add (f64.const -1.5)
            (f64.mul
              (f64.add
                (f64.convert_i32_s (i32.add (i32.mul (local.get $tile_y) (local.get $size)) (local.get $y)))
                (f64.const 0.5))
              (local.get $scale))))
        (local.set $x (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_s (local.get $x) (local.get $size)))
            (local.set $cr
              (f64.add (f64.const -2.25)
                (f64.mul
                  (f64.add
                    (f64.convert_i32_s (i32.add (i32.mul (local.get $tile_x) (local.get $size)) (local.get $x)))
                    (f64.const 0.5))
                  (local.get $scale))))
            (local.set $zr (f64.const 0))
            (local.set $zi (f64.const 0))
            (local.set $n (i32.const 0))
            (block $escaped
              (loop $iterate
                (br_if $escaped (i32.ge_s (local.get $n) (local.get $max)))
                (local.set $zr2 (f64.mul (local.get $zr) (local.get $zr)))
                (local.set $zi2 (f64.mul (local.get $zi) (local.get $zi)))
                (br_if $escaped (f64.gt (f64.add (local.get $zr2) (local.get $zi2)) (f64.const 4)))
                (local.set $zi
                  (f64.add (f64.mul (f64.mul (f64.const 2) (local.get $zr)) (local.get $zi)) (local.get $ci)))
                (local.set $zr (f64.add (f64.sub (local.get $zr2) (local.get $zi2)) (local.get $cr)))
                (local.set $n (i32.add (local.get $n) (i32.const 1)))
                (br $iterate)))
            (i32.store16 (local.get $out) (local.get $n))
            (local.set $out (i32.add (local.get $out) (i32.const 2)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $cols)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows)))
    (call $output_write (global.get $OUT) (i32.sub (local.get $out) (global.get $OUT)))
    (i32.const 0))
)
