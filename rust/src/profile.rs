//! Per-piece timings of the annotator's parts on pieces read from a file (NUL-separated
//! UTF-8, named by DISTILLSCAN_PIECES): `cargo test --release profile -- --ignored --nocapture`.

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use crate::annotate::{annotate_piece, topic_bits};
    use crate::normalise::{lowercase, normalise_lowered};
    use crate::patterns::compiled;

    fn best_of<T>(pieces: &[&str], mut work: impl FnMut(&str) -> T) -> f64 {
        (0..3)
            .map(|_| {
                let start = Instant::now();
                for piece in pieces {
                    std::hint::black_box(work(piece));
                }
                start.elapsed().as_secs_f64() * 1e6 / pieces.len() as f64
            })
            .fold(f64::INFINITY, f64::min)
    }

    #[test]
    #[ignore]
    fn profile_pieces() {
        let Ok(path) = std::env::var("DISTILLSCAN_PIECES") else {
            return;
        };
        let text = std::fs::read_to_string(path).unwrap();
        let pieces: Vec<&str> = text.split('\0').collect();
        let lowered: Vec<String> = pieces.iter().map(|p| lowercase(p).into_owned()).collect();
        let lowered: Vec<&str> = lowered.iter().map(String::as_str).collect();
        println!("pieces {}", pieces.len());
        println!("whole piece  {:.3} us", best_of(&pieces, annotate_piece));
        println!(
            "lowercase    {:.3} us",
            best_of(&pieces, |t| lowercase(t).len())
        );
        println!(
            "masks        {:.3} us",
            best_of(&lowered, normalise_lowered)
        );
        println!(
            "cot          {:.3} us",
            best_of(&lowered, |t| compiled().cot.is_match(t))
        );
        println!("topics       {:.3} us", best_of(&lowered, topic_bits));
    }
}
