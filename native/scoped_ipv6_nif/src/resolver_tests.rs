use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

fn pool(threads: usize, queued: usize, idle_ms: u64) -> &'static Pool {
    Box::leak(Box::new(Pool::new(
        threads,
        queued,
        Duration::from_millis(idle_ms),
    )))
}

#[test]
fn at_most_max_threads_run_and_max_queued_wait() {
    let pool = pool(2, 3, 100);
    let (release, gate) = mpsc::channel::<()>();
    let gate = Arc::new(Mutex::new(gate));
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    for _ in 0..5 {
        let (gate, running, peak) = (gate.clone(), running.clone(), peak.clone());
        pool.submit(Arc::default(), move |_| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let _ = lock(&gate).recv();
            running.fetch_sub(1, Ordering::SeqCst);
        })
        .unwrap();
    }
    // Two run, three wait: the sixth is refused at once.
    assert!(matches!(
        pool.submit(Arc::default(), |_| {}),
        Err(Refused::Full)
    ));
    assert_eq!(pool.threads(), 2);
    let deadline = Instant::now() + Duration::from_secs(5);
    while running.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(running.load(Ordering::SeqCst), 2);
    for _ in 0..5 {
        release.send(()).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while pool.threads() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(peak.load(Ordering::SeqCst), 2);
    // Idle threads exit: a burst leaves none behind.
    assert_eq!(pool.threads(), 0);
}

#[test]
fn a_cancelled_ticket_is_skipped_and_makes_room() {
    let pool = pool(1, 1, 100);
    let (release, gate) = mpsc::channel::<()>();
    pool.submit(Arc::default(), move |_| {
        let _ = gate.recv();
    })
    .unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let ticket = Arc::new(Ticket::default());
    let counted = ran.clone();
    pool.submit(ticket.clone(), move |_| {
        counted.fetch_add(1, Ordering::SeqCst);
    })
    .unwrap();
    assert!(matches!(
        pool.submit(Arc::default(), |_| {}),
        Err(Refused::Full)
    ));
    // The caller gives up: its queued lookup no longer counts.
    ticket.cancel();
    let (done, finished) = mpsc::channel();
    pool.submit(Arc::default(), move |_| done.send(()).unwrap())
        .unwrap();
    release.send(()).unwrap();
    finished.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[test]
fn deliver_after_cancel_sends_nothing() {
    let ticket = Ticket::default();
    let mut sent = 0;
    ticket.deliver(|| sent += 1);
    ticket.cancel();
    ticket.deliver(|| sent += 1);
    assert_eq!(sent, 1);
}
