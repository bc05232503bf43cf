#!/usr/bin/perl
# Drives the HubSync proxy's write-through with Perl DBI and DBD::Pg (libpq underneath). A statement with
# placeholders runs through PQexecParams (Parse/Bind/Describe/Execute/Sync of the unnamed statement) on its
# first execution; from the second execution of the same statement handle on (pg_switch_prepared) DBD::Pg
# prepares a named server-side statement (PQprepare) and only binds and executes it (PQexecPrepared).
# Notices come out as Perl warnings; pg_cancel() cancels an asynchronous query with PQcancel.
#
# Usage: perl perl_dbd_pg_client.pl writethrough DSN ISSUE_ID REPO_ID
# DSN is a libpq key=value string. Prints `FAIL: ...` per failed check and `OK dbd-pg` when all passed;
# exits 1 on any failure, 2 on a wrong command line.
use strict;
use warnings;
use DBI;
use DBD::Pg qw(:async);
use Time::HiRes qw(time sleep);

my $NAME = 'dbd-pg';
my @failures;

sub check {
    my ($condition, $what) = @_;
    unless ($condition) {
        push @failures, $what;
        print "FAIL: $what\n";
    }
    return $condition;
}

sub show { return defined $_[0] ? $_[0] : 'undef' }

# Runs `$action`; a failure is a failed check (the scenario goes on) and gives undef.
sub attempt {
    my ($dbh, $what, $action) = @_;
    my $result = eval { $action->() };
    check(0, "$what: " . show($dbh->state) . ' ' . (split /\n/, show($@))[0]) if $@;
    return $result;
}

# Runs `$action`, checks that it fails with `$sqlstate`, and returns the error text (DBD::Pg's errstr is
# libpq's message: primary text, then DETAIL: and HINT: lines) or undef.
sub expect_error {
    my ($dbh, $sqlstate, $what, $action) = @_;
    if (eval { $action->(); 1 }) {
        check(0, "$what: no error");
        return undef;
    }
    my $state = $dbh->state;
    check($state eq $sqlstate, "$what: SQLSTATE $state, expected $sqlstate (" . (split /\n/, $@)[0] . ')');
    return $state eq $sqlstate ? $dbh->errstr : undef;
}

sub write_through {
    my ($dsn, $issue_id, $repo_id) = @_;
    # DBD::Pg hands everything after "dbi:Pg:" to libpq (the user is in the DSN).
    my $dbh = DBI->connect("dbi:Pg:$dsn", undef, undef, {RaiseError => 1, PrintError => 0, AutoCommit => 1});
    my @notices;
    local $SIG{__WARN__} = sub { push @notices, $_[0] };
    my $title_and_state = sub {
        return $dbh->selectall_arrayref('SELECT title, state FROM github.issue WHERE id = $1', undef, $issue_id);
    };

    # a) the issue is there.
    my $rows = $dbh->selectall_arrayref('SELECT title FROM github.issue WHERE id = $1', undef, $issue_id);
    check(@$rows == 1, "SELECT of issue $issue_id gives " . @$rows . ' rows');

    # b) an UPDATE GitHub accepts; execute() returns the row count.
    my $accepted = "$NAME accepted";
    my $count = attempt($dbh, 'accepted UPDATE', sub {
        $dbh->do('UPDATE github.issue SET title = $1 WHERE id = $2', undef, $accepted, $issue_id) });
    check(defined $count && $count == 1, 'accepted UPDATE: ' . show($count) . ' rows');
    my $before = $title_and_state->();
    check(@$before == 1 && $before->[0][0] eq $accepted, 'title after the accepted UPDATE: ' . show($before->[0][0]));

    # c) an UPDATE GitHub rejects (422 -> 23514) leaves the row as it was.
    my $error = expect_error($dbh, '23514', 'rejected UPDATE', sub {
        $dbh->do(q{UPDATE github.issue SET state = 'bogus' WHERE id = $1}, undef, $issue_id) });
    if (defined $error) {
        check($error =~ /DETAIL:.*422/, "rejection DETAIL names 422: $error");
        check($error =~ /HINT:/, 'rejection has a HINT');
    }
    my $after = $title_and_state->();
    check(join('|', map { @$_ } @$after) eq join('|', map { @$_ } @$before), 'row unchanged after the rejection');

    # d) INSERT ... RETURNING gets GitHub's id and number (placeholders would be negative).
    my $created = attempt($dbh, 'INSERT RETURNING', sub {
        $dbh->selectrow_arrayref(q{INSERT INTO github.issue (repository_id, title, body) VALUES ($1, $2, 'body')
                                   RETURNING id, number}, undef, $repo_id, "$NAME new") });
    check($created && $created->[0] > 0 && $created->[1] > 0,
          'INSERT RETURNING id, number: ' . ($created ? "@$created" : 'none'));

    # e) several rows: one INSERT of two rows, both retitled by one statement handle executed twice (the
    # second run on a named server-side statement), then one DELETE of both (an array reference is bound as
    # a PostgreSQL array).
    my $pair = attempt($dbh, 'two-row INSERT', sub {
        $dbh->selectcol_arrayref(q{INSERT INTO github.issue (repository_id, title, body)
                                   VALUES ($1, $2, 'body'), ($1, $3, 'body') RETURNING id}, undef,
                                 $repo_id, "$NAME pair 1", "$NAME pair 2") }) || [];
    check(@$pair == 2 && !grep({ $_ <= 0 } @$pair), "two-row INSERT RETURNING id: @$pair");
    if (@$pair == 2) {
        my @retitled = ("$NAME batch 1", "$NAME batch 2");
        my $sth = $dbh->prepare('UPDATE github.issue SET title = $1 WHERE id = $2');
        for my $i (0, 1) {
            my $n = attempt($dbh, "prepared UPDATE run " . ($i + 1), sub { $sth->execute($retitled[$i], $pair->[$i]) });
            check(defined $n && $n == 1, 'prepared UPDATE run ' . ($i + 1) . ': ' . show($n) . ' rows');
        }
        check(defined $sth->{pg_prepare_name}, 'the second run used a named server-side statement');
        my $titles = $dbh->selectcol_arrayref('SELECT title FROM github.issue WHERE id = ANY($1) ORDER BY id', undef,
                                              $pair);
        check("@$titles" eq "@retitled", "titles after the prepared UPDATEs: @$titles");
        $count = attempt($dbh, 'two-row DELETE',
                         sub { $dbh->do('DELETE FROM github.issue WHERE id = ANY($1)', undef, $pair) });
        check(defined $count && $count == 2, 'two-row DELETE: ' . show($count) . ' rows');
        my ($left) = $dbh->selectrow_array('SELECT count(*) FROM github.issue WHERE id = ANY($1)', undef, $pair);
        check($left == 0, "$left of the two deleted issues still there");
    }

    # f) DELETE of the issue created in d).
    if ($created && $created->[0] > 0) {
        $count = attempt($dbh, 'DELETE',
                         sub { $dbh->do('DELETE FROM github.issue WHERE id = $1', undef, $created->[0]) });
        check(defined $count && $count == 1, 'DELETE: ' . show($count) . ' rows');
        my ($left) = $dbh->selectrow_array('SELECT count(*) FROM github.issue WHERE id = $1', undef, $created->[0]);
        check($left == 0, 'deleted issue still there');
    }

    # g) inside BEGIN ... ROLLBACK the GitHub change escapes the rollback, and a NOTICE says so.
    $dbh->begin_work;
    @notices = ();
    attempt($dbh, 'UPDATE in a block',
            sub { $dbh->do('UPDATE github.issue SET body = $1 WHERE id = $2', undef, "$NAME rolled back", $issue_id) });
    my @during_update = @notices;
    $dbh->rollback;
    check(grep({ /github/i } @during_update), "NOTICE about GitHub during the UPDATE in a block: @during_update");

    # h) cancel: an asynchronous pg_sleep(30), cancelled after a second with PQcancel, which sends a
    # CancelRequest with the BackendKeyData the proxy handed out.
    my $started = time;
    $dbh->do('SELECT pg_sleep(30)', {pg_async => PG_ASYNC});
    sleep 1;
    check($dbh->pg_cancel, 'pg_cancel');
    check($dbh->state eq '57014', 'cancel during pg_sleep: SQLSTATE ' . $dbh->state . ', expected 57014');
    check(time - $started < 6, sprintf('cancel took %.1f s', time - $started));
    my ($still) = $dbh->selectrow_array(q{SELECT 'still usable'});
    check($still eq 'still usable', 'connection usable after the cancel');
    $dbh->disconnect;
}

if (@ARGV != 4 || $ARGV[0] ne 'writethrough') {
    print "usage: perl_dbd_pg_client.pl writethrough DSN ISSUE_ID REPO_ID\n";
    exit 2;
}
eval { write_through(@ARGV[1 .. 3]); 1 } or check(0, 'unexpected ' . show($DBI::state) . " $@");
print @failures ? "$NAME: " . @failures . " failures\n" : "OK $NAME\n";
exit(@failures ? 1 : 0);
