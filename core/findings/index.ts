// Findings: the one thing both halves share. The Finding model the functions store and mail,
// the resolved owner it carries, the SELinux issues the node runner reports, their conversion
// into findings, and the Elasticsearch document that carries them from the runners to the
// notify step. runner/ and functions/ both import from here, never from each other.
export * from './Finding.ts';
export * from './ResolvedOwner.ts';
export * from './SelinuxFindingDocument.ts';
export * from './SelinuxIssue.ts';
export * from './toSelinuxFinding.ts';
