package slack

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// workspace is one Slack team's directory. Users and channels are
// generated from the seed and the team id on first use and are read-only
// afterwards, so handlers read them without holding Provider.mu.
type workspace struct {
	id, name, domain string
	users            []user // sorted by id, the order users.list pages in
	userIdx          map[string]int
	channels         []channel // sorted by id
	chanIdx          map[string]int
	chanByName       map[string]int

	ownerID   string // the primary owner, who installs the app
	botUserID string // the app's bot user
	botID     string // the app's bot (B…), distinct from its user

	lastTS int64 // microseconds of the last message ts; guarded by Provider.mu
}

// user is a users.list member, in Slack's field order.
type user struct {
	ID                     string  `json:"id"`
	TeamID                 string  `json:"team_id"`
	Name                   string  `json:"name"`
	Deleted                bool    `json:"deleted"`
	Color                  string  `json:"color,omitempty"`
	RealName               string  `json:"real_name,omitempty"`
	TZ                     string  `json:"tz,omitempty"`
	TZLabel                string  `json:"tz_label,omitempty"`
	TZOffset               int     `json:"tz_offset"`
	Profile                profile `json:"profile"`
	IsAdmin                bool    `json:"is_admin"`
	IsOwner                bool    `json:"is_owner"`
	IsPrimaryOwner         bool    `json:"is_primary_owner"`
	IsRestricted           bool    `json:"is_restricted"`
	IsUltraRestricted      bool    `json:"is_ultra_restricted"`
	IsBot                  bool    `json:"is_bot"`
	IsAppUser              bool    `json:"is_app_user"`
	Updated                int64   `json:"updated"`
	IsEmailConfirmed       bool    `json:"is_email_confirmed"`
	WhoCanShareContactCard string  `json:"who_can_share_contact_card"`
}

type profile struct {
	Title                 string `json:"title"`
	Phone                 string `json:"phone"`
	Skype                 string `json:"skype"`
	RealName              string `json:"real_name"`
	RealNameNormalized    string `json:"real_name_normalized"`
	DisplayName           string `json:"display_name"`
	DisplayNameNormalized string `json:"display_name_normalized"`
	StatusText            string `json:"status_text"`
	StatusEmoji           string `json:"status_emoji"`
	StatusExpiration      int64  `json:"status_expiration"`
	AvatarHash            string `json:"avatar_hash"`
	BotID                 string `json:"bot_id,omitempty"`
	APIAppID              string `json:"api_app_id,omitempty"`
	AlwaysActive          bool   `json:"always_active,omitempty"`
	// Email is only shown to tokens with users:read.email.
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Image24   string `json:"image_24"`
	Image32   string `json:"image_32"`
	Image48   string `json:"image_48"`
	Image72   string `json:"image_72"`
	Image192  string `json:"image_192"`
	Image512  string `json:"image_512"`
	Team      string `json:"team"`
}

// channel is a conversations.list entry. IsMember depends on the caller,
// so handlers copy the channel and set it.
type channel struct {
	ID                      string   `json:"id"`
	Name                    string   `json:"name"`
	IsChannel               bool     `json:"is_channel"`
	IsGroup                 bool     `json:"is_group"`
	IsIM                    bool     `json:"is_im"`
	IsMpim                  bool     `json:"is_mpim"`
	IsPrivate               bool     `json:"is_private"`
	Created                 int64    `json:"created"`
	IsArchived              bool     `json:"is_archived"`
	IsGeneral               bool     `json:"is_general"`
	Unlinked                int      `json:"unlinked"`
	NameNormalized          string   `json:"name_normalized"`
	IsShared                bool     `json:"is_shared"`
	IsOrgShared             bool     `json:"is_org_shared"`
	IsPendingExtShared      bool     `json:"is_pending_ext_shared"`
	PendingShared           []string `json:"pending_shared"`
	ContextTeamID           string   `json:"context_team_id"`
	Updated                 int64    `json:"updated"`
	ParentConversation      *string  `json:"parent_conversation"`
	Creator                 string   `json:"creator"`
	IsExtShared             bool     `json:"is_ext_shared"`
	SharedTeamIDs           []string `json:"shared_team_ids"`
	PendingConnectedTeamIDs []string `json:"pending_connected_team_ids"`
	IsMember                bool     `json:"is_member"`
	Topic                   topic    `json:"topic"`
	Purpose                 topic    `json:"purpose"`
	PreviousNames           []string `json:"previous_names"`
	NumMembers              int      `json:"num_members"`

	botMember, ownerMember bool
}

type topic struct {
	Value   string `json:"value"`
	Creator string `json:"creator"`
	LastSet int64  `json:"last_set"`
}

// epoch anchors generated timestamps, so data does not depend on when the
// simulator started (2021-01-01T00:00:00Z).
const epoch = 1609459200

var (
	firstNames = []string{"Ada", "Bruno", "Chen", "Dara", "Emeka", "Farah", "Goran", "Hana", "Ivo", "Jun",
		"Kemi", "Lars", "Mina", "Nico", "Olu", "Priya", "Quinn", "Rosa", "Sven", "Tomoko",
		"Uma", "Viktor", "Wren", "Ximena", "Yusuf", "Zofia"}
	lastNames = []string{"Abara", "Berg", "Costa", "Dubois", "Eriksen", "Fujita", "Gallo", "Haddad", "Ivanova",
		"Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov", "Quispe",
		"Rossi", "Santos", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhang"}
	titles = []string{"", "Software Engineer", "Product Manager", "Designer", "Account Executive",
		"Support Lead", "Data Analyst", "Engineering Manager", "Recruiter", "SRE"}
	colors   = []string{"9f69e7", "4bbe2e", "e7392d", "3c989f", "674b1b", "e96699", "5b89d5", "2b6836"}
	statuses = [][2]string{{"", ""}, {"", ""}, {"In a meeting", ":spiral_calendar_pad:"},
		{"Commuting", ":bus:"}, {"Out sick", ":face_with_thermometer:"}, {"Vacationing", ":palm_tree:"}}
	zones = []struct {
		name, label string
		offset      int
	}{
		{"America/Los_Angeles", "Pacific Standard Time", -28800},
		{"America/New_York", "Eastern Standard Time", -18000},
		{"Europe/London", "Greenwich Mean Time", 0},
		{"Europe/Berlin", "Central European Time", 3600},
		{"Asia/Kolkata", "India Standard Time", 19800},
		{"Asia/Tokyo", "Japan Standard Time", 32400},
	}
	teamWords    = []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wonka", "Tyrell", "Cyberdyne"}
	teamSuffixes = []string{"Labs", "Robotics", "Industries", "Systems", "Cloud", "Works"}
	chanPrefixes = []string{"eng", "design", "sales", "support", "ops", "mktg", "product", "data", "help", "proj", "team", "social"}
	chanWords    = []string{"alerts", "backend", "frontend", "launch", "standup", "infra", "deploys", "hiring",
		"customers", "feedback", "incidents", "releases", "ideas", "book-club", "coffee", "pets", "music",
		"travel", "security", "mobile", "api", "billing", "onboarding", "wins"}
	purposes = []string{"", "Announcements and questions", "Where the work happens", "Daily updates",
		"Automated notifications", "Anything goes", "Ask for help here"}
)

const idChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newID returns a Slack-looking id: the kind letter, "0", then 8
// characters, unique within seen.
func newID(rng *rand.Rand, kind byte, seen map[string]bool) string {
	for {
		b := []byte{kind, '0'}
		for range 8 {
			b = append(b, idChars[rng.IntN(len(idChars))])
		}
		if id := string(b); !seen[id] {
			seen[id] = true
			return id
		}
	}
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// generateWorkspace builds team's directory; rng streams are per team and
// per collection, so one workspace does not shift another's data.
func (p *Provider) generateWorkspace(team string) *workspace {
	ws := &workspace{id: team}
	trng := p.s.Rand("slack/" + team + "/team")
	ws.name = pick(trng, teamWords) + " " + pick(trng, teamSuffixes)
	ws.domain = strings.ToLower(strings.ReplaceAll(ws.name, " ", "-")) + "-" + strings.ToLower(team[len(team)-min(len(team), 4):])
	ws.botID = newID(trng, 'B', map[string]bool{})
	p.generateUsers(ws)
	p.generateChannels(ws)
	return ws
}

func (p *Provider) generateUsers(ws *workspace) {
	rng := p.s.Rand("slack/" + ws.id + "/users")
	n := p.opts.Users
	seen := map[string]bool{"USLACKBOT": true}
	users := make([]user, 0, n)
	usedNames := map[string]bool{}
	for i := range n {
		u := user{ID: newID(rng, 'U', seen), TeamID: ws.id, Color: pick(rng, colors),
			Updated: epoch + rng.Int64N(3*365*86400), IsEmailConfirmed: true, WhoCanShareContactCard: "EVERYONE"}
		z := pick(rng, zones)
		u.TZ, u.TZLabel, u.TZOffset = z.name, z.label, z.offset
		first, last := pick(rng, firstNames), pick(rng, lastNames)
		handle := strings.ToLower(first + "." + last)
		for k := 2; usedNames[handle]; k++ {
			handle = fmt.Sprintf("%s.%s%d", strings.ToLower(first), strings.ToLower(last), k)
		}
		usedNames[handle] = true
		u.Name = handle
		u.RealName = first + " " + last
		st := pick(rng, statuses)
		u.Profile = profile{Title: pick(rng, titles), RealName: u.RealName, RealNameNormalized: u.RealName,
			DisplayName: strings.ToLower(first), DisplayNameNormalized: strings.ToLower(first),
			StatusText: st[0], StatusEmoji: st[1], FirstName: first, LastName: last,
			Email: handle + "@" + ws.domain + ".example.com"}
		switch {
		case i == 0: // the primary owner installs the app
			u.IsAdmin, u.IsOwner, u.IsPrimaryOwner = true, true, true
			ws.ownerID = u.ID
		case i == 1: // Slackbot: a bot in all but name, listed with is_bot false
			u = user{ID: "USLACKBOT", TeamID: ws.id, Name: "slackbot", Color: "757575", RealName: "Slackbot",
				TZ: "America/Los_Angeles", TZLabel: "Pacific Standard Time", TZOffset: -28800, WhoCanShareContactCard: "EVERYONE",
				Profile: profile{RealName: "Slackbot", RealNameNormalized: "Slackbot", DisplayName: "Slackbot",
					DisplayNameNormalized: "Slackbot", AlwaysActive: true, FirstName: "slackbot"}}
		case i == 2: // the app's bot user
			u = user{ID: u.ID, TeamID: ws.id, Name: "patchbay", Color: "e0a729", RealName: "Patchbay",
				TZ: "America/Los_Angeles", TZLabel: "Pacific Standard Time", TZOffset: -28800,
				IsBot: true, Updated: u.Updated, WhoCanShareContactCard: "EVERYONE",
				Profile: profile{RealName: "Patchbay", RealNameNormalized: "Patchbay", BotID: ws.botID,
					APIAppID: p.opts.AppID, AlwaysActive: true, FirstName: "Patchbay"}}
			ws.botUserID = u.ID
		case i == 3: // another app's bot
			u = user{ID: u.ID, TeamID: ws.id, Name: "deploybot", Color: "3c989f", RealName: "Deploy Bot",
				TZ: "America/Los_Angeles", TZLabel: "Pacific Standard Time", TZOffset: -28800,
				IsBot: true, Updated: u.Updated, WhoCanShareContactCard: "EVERYONE",
				Profile: profile{RealName: "Deploy Bot", RealNameNormalized: "Deploy Bot", BotID: newID(rng, 'B', seen),
					APIAppID: newID(rng, 'A', seen), FirstName: "Deploy"}}
		case i == 4 || rng.IntN(25) == 0: // deactivated accounts stay listed
			u.Deleted = true
			u.Profile.Email, u.Profile.StatusText, u.Profile.StatusEmoji = "", "", ""
		case rng.IntN(30) == 0:
			u.IsAdmin = true
		case rng.IntN(15) == 0: // guests
			u.IsRestricted = true
			u.IsUltraRestricted = rng.IntN(2) == 0
		}
		u.Profile.Team = ws.id
		u.Profile.AvatarHash = fmt.Sprintf("g%011x", rng.Uint64()>>20)
		setImages(&u.Profile, u.ID)
		users = append(users, u)
	}
	slices.SortFunc(users, func(a, b user) int { return strings.Compare(a.ID, b.ID) })
	ws.users = users
	ws.userIdx = make(map[string]int, len(users))
	for i, u := range users {
		ws.userIdx[u.ID] = i
	}
}

func setImages(pr *profile, id string) {
	base := "https://avatars.slack-edge.com/sim/" + id + "_"
	pr.Image24, pr.Image32, pr.Image48 = base+"24.png", base+"32.png", base+"48.png"
	pr.Image72, pr.Image192, pr.Image512 = base+"72.png", base+"192.png", base+"512.png"
}

func (p *Provider) generateChannels(ws *workspace) {
	rng := p.s.Rand("slack/" + ws.id + "/channels")
	m := p.opts.Channels
	seen := map[string]bool{}
	names := map[string]bool{}
	chans := make([]channel, 0, m)
	privates := 0
	for i := range m {
		c := channel{ID: newID(rng, 'C', seen), IsChannel: true, ContextTeamID: ws.id,
			Created: epoch + rng.Int64N(2*365*86400), Creator: ws.ownerID,
			PendingShared: []string{}, SharedTeamIDs: []string{ws.id}, PendingConnectedTeamIDs: []string{},
			PreviousNames: []string{}, botMember: rng.IntN(2) == 0, ownerMember: rng.IntN(5) != 0}
		c.Updated = c.Created*1000 + rng.Int64N(86400000)
		switch i {
		case 0:
			c.Name, c.IsGeneral, c.botMember, c.ownerMember = "general", true, true, true
		case 1:
			c.Name, c.ownerMember = "random", true
		default:
			c.Name = pick(rng, chanPrefixes) + "-" + pick(rng, chanWords)
			for k := 2; names[c.Name]; k++ {
				c.Name = fmt.Sprintf("%s-%d", strings.TrimRight(c.Name, "-0123456789"), k)
			}
			// Keep at least one archived and two private channels (one
			// the bot is in, one it is not) whatever the rng says.
			c.IsArchived = i == m-1 || rng.IntN(8) == 0
			c.IsPrivate = i == 2 || i == 3 || !c.IsArchived && rng.IntN(5) == 0
			if i == 2 || i == 3 {
				c.botMember = i == 2
			}
		}
		names[c.Name] = true
		c.NameNormalized = c.Name
		if c.IsPrivate {
			privates++
			c.ownerMember = true
		}
		c.NumMembers = 2 + rng.IntN(p.opts.Users-1)
		if c.IsGeneral {
			c.NumMembers = p.opts.Users - 1
		}
		if purpose := pick(rng, purposes); purpose != "" {
			c.Purpose = topic{Value: purpose, Creator: ws.ownerID, LastSet: c.Created}
		}
		chans = append(chans, c)
	}
	slices.SortFunc(chans, func(a, b channel) int { return strings.Compare(a.ID, b.ID) })
	ws.channels = chans
	ws.chanIdx = make(map[string]int, len(chans))
	ws.chanByName = make(map[string]int, len(chans))
	for i, c := range chans {
		ws.chanIdx[c.ID] = i
		ws.chanByName[c.Name] = i
	}
}

// nextTS returns a message timestamp ("seconds.micros") on the simulated
// clock, unique and increasing within the workspace as Slack's are.
func (p *Provider) nextTS(ws *workspace) string {
	now := p.s.Clock.Now().UnixMicro()
	p.mu.Lock()
	if now <= ws.lastTS {
		now = ws.lastTS + 1
	}
	ws.lastTS = now
	p.mu.Unlock()
	return fmt.Sprintf("%d.%06d", now/1e6, now%1e6)
}
