package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
)

func init() {
	registerDemoStep(demoStep{order: 45, name: "paper trading", run: demoPaper})
}

// demoPaperBars is how many live synthetic bars the demo's paper session
// trades: enough for the crossover to trade a few times, quick to watch.
const demoPaperBars = 240

// demoPaper runs `workbench paper` as a user would: the backtested crossover
// paper-trades the crypto market's synthetic feed from where the stored
// history ends, a bar every millisecond, booking into Dir/accounts.
func demoPaper(ctx context.Context, d *demoRun) error {
	if len(d.Markets) == 0 {
		fmt.Fprintln(d.out, "no markets to paper-trade")
		return nil
	}
	m := d.Markets[0]
	accounts := filepath.Join(d.Dir, "accounts")
	e := &env{stdin: d.env.stdin, stdout: d.out, stderr: d.env.stderr}
	err := runPaper(ctx, e, []string{
		"--strategy", "sma-cross", "--feed", "synthetic", "--fqme", m.FQME,
		"--period", strconv.FormatInt(m.Period, 10), "--start", strconv.FormatInt(demoTo, 10),
		"--every", "1ms", "--bars", strconv.Itoa(demoPaperBars), "--status", "60",
		"--taker-bps", "10", "--accounts", accounts, "--acct", "demo", "--store", d.StoreDir,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "ledger and account in %s (workbench account paper.demo --accounts %s)\n", accounts, accounts)
	return nil
}
