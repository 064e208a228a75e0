import { createSync } from 'nango';
import * as z from 'zod';

// A model is the shape of the records the sync saves (`patchbay dryrun`
// shows them; the server does not schedule syncs yet).
const GithubIssue = z.object({
    id: z.string(),
    number: z.number(),
    title: z.string(),
    state: z.enum(['open', 'closed']),
    author: z.string(),
    labels: z.array(z.string()),
    body: z.string().nullable(),
    url: z.string(),
    created_at: z.string(),
    updated_at: z.string()
});
type GithubIssue = z.infer<typeof GithubIssue>;

// Which repository to sync is the connection's metadata, set with
// POST /connections/metadata (or --metadata in `patchbay dryrun`).
const Metadata = z.object({
    owner: z.string(),
    repo: z.string()
});

// Where the previous run got to: the next run asks only for issues
// updated since.
const Checkpoint = z.object({
    updated_after: z.string()
});

export default createSync({
    description: "Issues of one repository (pull requests left out), fetched incrementally by update time",
    version: '1.0.0',
    frequency: 'every hour',
    autoStart: true,
    syncType: 'incremental',
    endpoints: [{ method: 'GET', path: '/issues', group: 'Issues' }],
    scopes: ['repo'],
    metadata: Metadata,
    checkpoint: Checkpoint,
    models: { GithubIssue },

    exec: async (nango) => {
        const { owner, repo } = await nango.getMetadata();
        if (!owner || !repo) {
            throw new Error('set the connection metadata to {"owner": "…", "repo": "…"}');
        }
        const checkpoint = await nango.getCheckpoint();
        const since = checkpoint?.updated_after ?? nango.lastSyncDate?.toISOString();

        const params: Record<string, string> = { state: 'all', sort: 'updated', direction: 'asc' };
        if (since) {
            params['since'] = since;
        }

        // nango.paginate follows GitHub's Link header (the catalog's
        // pagination for github); limit is sent as per_page.
        for await (const page of nango.paginate<GithubIssueResponse>({
            endpoint: `/repos/${owner}/${repo}/issues`,
            params,
            paginate: { limit: 100 },
            retries: 10
        })) {
            // GitHub lists pull requests among issues; they carry a
            // pull_request object.
            const issues = page.filter((item) => !item.pull_request).map(toIssue);
            if (issues.length > 0) {
                await nango.batchSave(issues, 'GithubIssue');
            }
            const last = page[page.length - 1];
            if (last) {
                await nango.saveCheckpoint({ updated_after: last.updated_at });
            }
        }
    }
});

function toIssue(item: GithubIssueResponse): GithubIssue {
    return {
        id: String(item.id),
        number: item.number,
        title: item.title,
        state: item.state,
        author: item.user.login,
        labels: item.labels.map((label) => label.name),
        body: item.body ?? null,
        url: item.html_url,
        created_at: item.created_at,
        updated_at: item.updated_at
    };
}

// The part of GitHub's issue JSON the sync reads.
interface GithubIssueResponse {
    id: number;
    number: number;
    title: string;
    state: 'open' | 'closed';
    user: { login: string };
    labels: { name: string }[];
    body: string | null;
    html_url: string;
    created_at: string;
    updated_at: string;
    pull_request?: object;
}
