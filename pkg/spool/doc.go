// Package spool is how whittle writes what it keeps on disk for a while,
// so that a failure, an interrupt or a kill never fills a disk or leaves
// files behind:
//
//   - Create makes a file with no name (made without one on Linux with
//     O_TMPFILE, else removed as soon as it is made): a spool that nothing
//     has to remove, however the process ends.
//   - A Budget caps the bytes written to temporary files and outputs,
//     checked as they are written (Budget.Writer); DefaultBudget is a share
//     of the free space of the file systems written to.
//   - CreateBeside and MkdirBeside make the temporary file or directory
//     in which a destination is assembled before it is renamed into place,
//     named .BASE.whittle-tmp-PID-N and locked while their process lives;
//     RemoveStale removes those a dead process left.
package spool
