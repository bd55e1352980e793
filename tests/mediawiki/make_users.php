<?php
// Creates the accounts named on standard input, one "GROUP<TAB>NAME" a line, and puts
// those whose GROUP is "bot" in the wiki's bot group, so that importDump.php attributes
// revisions to these accounts (it only does for accounts that exist) and the API knows
// the bots. Run as: MW_INSTALL_PATH=/usr/share/mediawiki php make_users.php --conf FILE
require_once getenv( 'MW_INSTALL_PATH' ) . '/maintenance/Maintenance.php';

use MediaWiki\MediaWikiServices;

class MakeUsers extends Maintenance {
	public function execute() {
		$groups = MediaWikiServices::getInstance()->getUserGroupManager();
		foreach ( file( 'php://stdin', FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES ) as $line ) {
			[ $group, $name ] = explode( "\t", $line, 2 );
			$user = User::newFromName( $name );
			if ( !$user ) {
				$this->fatalError( "unusable user name: $name" );
			}
			if ( !$user->isRegistered() ) {
				$user = User::createNew( $name );
			}
			if ( $group === 'bot' ) {
				$groups->addUserToGroup( $user, 'bot' );
			}
		}
		$this->output( "ok\n" );
	}
}

$maintClass = MakeUsers::class;
require_once RUN_MAINTENANCE_IF_MAIN;
