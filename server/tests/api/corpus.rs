//! A small help centre for a fictional company ("Brightbox", smart home hardware and an app),
//! and questions worded differently from the text, each with the document that answers it.

/// `(title, markdown)` pairs, one topic each.
pub const DOCUMENTS: &[(&str, &str)] = &[
    (
        "Shipping and delivery",
        "# Shipping and delivery\n\nWe ship to 32 countries in Europe and North America. Orders placed before 2 pm are \
         dispatched the same working day.\n\n## Delivery times\nStandard delivery takes 3 to 5 working days. Express \
         delivery arrives the next working day and costs 9 euros.\n\n## Tracking\nA tracking link is emailed as soon as \
         the parcel leaves our warehouse in Rotterdam.",
    ),
    (
        "Returns and refunds",
        "# Returns and refunds\n\nYou can send back any product within 30 days of delivery for a full refund. The \
         item must be in its original packaging.\n\n## How refunds are paid\nRefunds go back to the original payment \
         method within 5 business days after the return arrives at our warehouse.\n\n## Return labels\nPrint a prepaid \
         return label from the Orders page of your account.",
    ),
    (
        "Subscription plans and billing",
        "# Plans and billing\n\nBrightbox Plus costs 4 euros per month and adds 60 days of video history. Brightbox \
         Pro costs 10 euros per month and supports up to 20 cameras.\n\n## Invoices\nWe charge your card on the same \
         day each month. Invoices can be downloaded as PDF from the Billing page.\n\n## Cancelling\nYou can cancel a \
         plan at any time; it stays active until the end of the paid month.",
    ),
    (
        "Signing in and passwords",
        "# Signing in\n\n## Forgotten password\nTo reset your password, tap 'Forgot password' on the sign-in screen. We \
         email a reset link that works for one hour.\n\n## Two-step verification\nTurn on two-step verification in \
         Settings > Security to require a code from an authenticator app when signing in.\n\n## Locked accounts\nAfter \
         ten failed attempts the account is locked for 15 minutes.",
    ),
    (
        "Setting up the Brightbox Hub",
        "# Setting up the Hub\n\nPlug the Hub into power and connect it to your router with the included Ethernet \
         cable. The light turns solid green when it is online.\n\n## Pairing devices\nOpen the app, tap Add device and \
         hold the device within one metre of the Hub while it pairs.\n\n## Wi-Fi\nThe Hub only works with 2.4 GHz Wi-Fi \
         networks; 5 GHz networks are not supported.",
    ),
    (
        "Camera video and night vision",
        "# Cameras\n\nBrightbox cameras record in 2K resolution at 25 frames per second. Night vision works up to 10 \
         metres in complete darkness using infrared.\n\n## Motion zones\nDraw motion zones in the camera settings so \
         that passing cars on the street do not trigger alerts.\n\n## Storage\nClips are stored in the cloud; an optional \
         microSD card of up to 256 GB keeps a local copy.",
    ),
    (
        "Warranty and repairs",
        "# Warranty\n\nEvery Brightbox device has a two-year warranty against manufacturing defects. Damage from water \
         or drops is not covered.\n\n## Repairs\nIf a device fails under warranty we send a replacement before you \
         return the faulty unit.",
    ),
    (
        "Privacy and your data",
        "# Privacy\n\nVideo is encrypted end to end; Brightbox staff cannot watch your recordings. We never sell \
         personal data to advertisers.\n\n## Deleting your data\nYou can export or permanently erase all your data from \
         Settings > Privacy. Erasure completes within 30 days.",
    ),
    (
        "Gift cards",
        "# Gift cards\n\nGift cards are available from 25 to 500 euros and never expire. They can be used in the online \
         shop but not for subscription plans.\n\n## Redeeming\nEnter the 16-character code at checkout. A remaining \
         balance stays on the card for your next order.",
    ),
    (
        "Contacting support",
        "# Contact us\n\nOur support team answers chat messages from Monday to Friday, 8 am to 8 pm Central European \
         Time, and on Saturdays from 10 am to 4 pm.\n\n## Phone\nCall +31 20 555 0100 for urgent safety issues. We do \
         not offer phone support on Sundays.",
    ),
];

/// `(question, title of the document that answers it)`, worded unlike the documents.
pub const QUESTIONS: &[(&str, &str)] = &[
    ("How long until my package gets here?", "Shipping and delivery"),
    ("Can I get next-day delivery?", "Shipping and delivery"),
    ("Where can I follow my parcel?", "Shipping and delivery"),
    ("I want my money back for a product I bought", "Returns and refunds"),
    ("How do I send an item back to you?", "Returns and refunds"),
    ("When will I see the refund on my credit card?", "Returns and refunds"),
    ("What does the Pro subscription cost?", "Subscription plans and billing"),
    ("Where do I find my monthly invoice?", "Subscription plans and billing"),
    ("How do I stop paying for Plus?", "Subscription plans and billing"),
    ("I can't remember my login details", "Signing in and passwords"),
    ("How do I add an extra security code when I log in?", "Signing in and passwords"),
    ("Why am I blocked after typing the wrong password many times?", "Signing in and passwords"),
    ("The hub won't connect to my 5GHz wireless", "Setting up the Brightbox Hub"),
    ("How do I connect a new sensor to the hub?", "Setting up the Brightbox Hub"),
    ("Can the camera see in the dark?", "Camera video and night vision"),
    ("Cars driving by keep setting off notifications", "Camera video and night vision"),
    ("Can I keep recordings on a memory card?", "Camera video and night vision"),
    ("My camera broke after one year, is it covered?", "Warranty and repairs"),
    ("I dropped my device in the pool, will you fix it for free?", "Warranty and repairs"),
    ("Can your employees look at my camera footage?", "Privacy and your data"),
    ("How do I remove all my information from your servers?", "Privacy and your data"),
    ("Do gift vouchers run out?", "Gift cards"),
    ("What are your opening hours for chat?", "Contacting support"),
    ("Is there a phone number for emergencies?", "Contacting support"),
];
